import { simulate } from "../engine/simulation.ts";
import { scenario } from "../scenario.ts";
import { CONTEST_KNOBS } from "../tuned.ts";
import type { TraceReader } from "../workload/traces.ts";
import { BASE_TARGET, CONTEST_POLICIES, contestPolicy, KNOB_CANDIDATES, type ContestKnobs, type ContestPolicy } from "./policies.ts";
import { TRACE_NAMES, type ContestSample } from "./windows.ts";

export interface KnobScore {
  knobs: ContestKnobs;
  violationMinutes: number;
  hostHours: number;
}

/**
 * The winner among scored candidates: the fewest violation minutes among those within 1% of the
 * cheapest one's host-hours (a knob that buys its minutes with hosts is headroom, which the
 * frontier prices separately), ties to the cheaper, then to `incumbent` (the knobs shipped now:
 * without evidence nothing changes).
 */
export function pickKnobs(scores: readonly KnobScore[], incumbent?: ContestKnobs): KnobScore {
  if (scores.length === 0) throw new Error("no candidates to pick from");
  const cheapest = Math.min(...scores.map((s) => s.hostHours));
  const fair = scores.filter((s) => s.hostHours <= cheapest * 1.01 + 1e-9);
  const isIncumbent = (k: ContestKnobs) => (incumbent !== undefined && k.tolerance === incumbent.tolerance && k.outlook === incumbent.outlook ? 0 : 1);
  return [...fair].sort((a, b) => a.violationMinutes - b.violationMinutes || a.hostHours - b.hostHours || isIncumbent(a.knobs) - isIncumbent(b.knobs))[0]!;
}

export interface ContestTuning {
  samples: ContestSample[];
  /** Per policy: every candidate's pooled totals and the winner. Every policy had the same evaluations. */
  policies: Record<ContestPolicy, { scores: KnobScore[]; best: KnobScore; evaluations: number }>;
}

/** Every policy at its base target with every candidate on every tuning sample, pooled. */
export function tuneContest(opts: { samples: readonly ContestSample[]; readTrace?: TraceReader; log?: (line: string) => void }): ContestTuning {
  const totals = Object.fromEntries(CONTEST_POLICIES.map((p) => [p, KNOB_CANDIDATES.map((knobs) => ({ knobs, violationMinutes: 0, hostHours: 0 }))])) as Record<ContestPolicy, KnobScore[]>;
  for (const s of opts.samples) {
    const { workload, config } = scenario({ workload: s.workload, seed: s.seed, days: s.days, ...(opts.readTrace ? { readTrace: opts.readTrace } : {}), ...(TRACE_NAMES.has(s.workload) ? { params: { startDay: s.startDay } } : {}) });
    for (const p of CONTEST_POLICIES) {
      KNOB_CANDIDATES.forEach((knobs, i) => {
        const run = contestPolicy(p, BASE_TARGET[p], config, knobs);
        const m = simulate({ workload, config: run.config, policy: run.policy }).metrics;
        totals[p][i]!.violationMinutes += m.violationMinutes;
        totals[p][i]!.hostHours += m.hostHours;
        opts.log?.(`${s.workload} seed ${s.seed} day ${s.startDay}: ${p} ${JSON.stringify(knobs)} ${m.violationMinutes.toFixed(1)} min ${m.hostHours.toFixed(0)} host-hours`);
      });
    }
  }
  const policies = Object.fromEntries(CONTEST_POLICIES.map((p) => [p, { scores: totals[p], best: pickKnobs(totals[p], CONTEST_KNOBS[p]), evaluations: totals[p].length * opts.samples.length }])) as ContestTuning["policies"];
  return { samples: [...opts.samples], policies };
}
