import { simulate } from "../engine/simulation.ts";
import { scenario } from "../scenario.ts";
import { CONTEST_KNOBS } from "../tuned.ts";
import type { WorkloadName } from "../workload/catalog.ts";
import type { TraceReader } from "../workload/traces.ts";
import { BASE_TARGET, CONTEST_POLICIES, contestPolicy, KNOB_CANDIDATES, type ContestKnobs, type ContestPolicy } from "./policies.ts";

/**
 * One run of a workload: which seed and, for a real trace, from which day. Generators differ by
 * seed; a trace's seed only reshuffles keys over the same days, so a trace's independent samples
 * are its time windows.
 */
export interface ContestSample {
  workload: WorkloadName;
  seed: number;
  /** First day of the trace used (0 for generators). */
  startDay: number;
  days: number;
}

export const TRACE_NAMES: ReadonlySet<WorkloadName> = new Set<WorkloadName>(["dos-traces", "nab-tweets"]);

/** Days each trace holds (the shortest series), for windows rolling over it. */
export const TRACE_DAYS: Readonly<Partial<Record<WorkloadName, number>>> = { "dos-traces": 21, "nab-tweets": 55 };

/**
 * Windows of `days` over a trace of `totalDays`, back to back from day 0 (the last partial one left
 * out): the scored window and the tuning windows of a trace are taken from these, so none overlap.
 */
export function traceWindows(totalDays: number, days: number): number[] {
  const out: number[] = [];
  for (let start = 0; start + days <= totalDays; start += days) out.push(start);
  return out;
}

/**
 * The tuning samples for scored samples: for a generator the same workload at each of
 * `tuningSeeds`, which must not be scored; for a trace every window that overlaps no scored window
 * of it (a trace with none left, like the three-week dos traces, is not tuned on at all). Throws
 * if a tuning sample would be scored: tuning must never see the data it is judged on.
 */
export function tuningSamples(scored: readonly ContestSample[], tuningSeeds: readonly number[]): ContestSample[] {
  const out: ContestSample[] = [];
  for (const name of new Set(scored.map((s) => s.workload))) {
    const mine = scored.filter((s) => s.workload === name);
    const days = Math.max(...mine.map((s) => s.days));
    if (!TRACE_NAMES.has(name)) {
      for (const seed of tuningSeeds) out.push({ workload: name, seed, startDay: 0, days });
      continue;
    }
    const overlaps = (start: number) => mine.some((s) => start < s.startDay + s.days && s.startDay < start + days);
    for (const start of traceWindows(TRACE_DAYS[name] ?? 0, days)) if (!overlaps(start)) out.push({ workload: name, seed: mine[0]!.seed, startDay: start, days });
  }
  for (const t of out) {
    const clash = scored.some((s) => s.workload === t.workload && (TRACE_NAMES.has(s.workload) ? t.startDay < s.startDay + s.days && s.startDay < t.startDay + t.days : s.seed === t.seed));
    if (clash) throw new Error(`tuning sample ${t.workload} seed ${t.seed} day ${t.startDay} overlaps a scored one`);
  }
  return out;
}

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
