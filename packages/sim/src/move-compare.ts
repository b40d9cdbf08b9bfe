import { median } from "@shardcast/core";
import type { MoveModel } from "./cluster.ts";
import { POLICY_SUMMARY_KEYS, type PolicyName } from "./compare.ts";
import { boundMedians, boundMetrics } from "./gap-share.ts";
import { equalCostMetrics, lowerBoundMetrics, pooledSummary, runSuite, type SeedRun, type SuiteOptions, type SuiteRun } from "./suite.ts";

/** The policies the two move models are compared on: the best-tuned reaction and the prediction. */
export const MOVE_COMPARED_POLICIES: readonly PolicyName[] = ["reactive_tuned", "predictive"];

/** The policies a quick run makes copy runs of. */
export const QUICK_COPY_POLICIES: readonly PolicyName[] = ["static_peak", ...MOVE_COMPARED_POLICIES];

/**
 * `metrics` without the summary keys of policies that did not run (their totals would read 0 and
 * their ratios as if they had no violations), per workload and ranged keys included.
 */
export function withoutAbsentPolicies(metrics: Record<string, number>, ran: readonly PolicyName[]): Record<string, number> {
  const absent = POLICY_SUMMARY_KEYS.filter(([p]) => !ran.includes(p)).flatMap(([, keys]) => keys);
  if (absent.length === 0) return metrics;
  const pattern = new RegExp(`(^|_)(${absent.join("|")})(_median|_min|_max)?$`);
  return Object.fromEntries(Object.entries(metrics).filter(([k]) => !pattern.test(k)));
}

/** Both move models on the same workloads, seeds and policies. */
export interface MoveModelSuite {
  handoff: SuiteRun;
  copy: SuiteRun;
}

/**
 * The suite once per move model: everything the options ask for (the frontier included) under
 * each, so the two differ only in how a move is made, except the fair contest (hand-offs only) and,
 * in a quick run, the copies' frontier. Log lines say which model they are from.
 */
export function runMoveModelSuite(opts: SuiteOptions): MoveModelSuite {
  const run = (moveModel: MoveModel, only: Partial<SuiteOptions>) =>
    runSuite({
      ...opts,
      ...only,
      ...(opts.log ? { log: (line: string) => opts.log!(`${moveModel}: ${line}`) } : {}),
      overrides: { ...opts.overrides, cluster: { ...opts.overrides?.cluster, moveModel } },
    });
  // The fair contest is run under the product's move model only; a quick run keeps its time by
  // running the copies only for the policies the two models are compared on (and static peak, the
  // cost ceiling), without their frontier.
  const quickCopy: Partial<SuiteOptions> = opts.quick ? { frontier: false, policies: QUICK_COPY_POLICIES.filter((p) => !opts.policies || opts.policies.includes(p)) } : {};
  return { handoff: run("handoff", {}), copy: run("copy", { contest: false, ...quickCopy }) };
}

const reduction = (a: number, b: number) => (b > 0 ? 1 - a / b : 0);
const finite = (v: number) => (Number.isFinite(v) ? v : -1);

function total(runs: readonly SeedRun[], p: PolicyName, k: "violationMinutes" | "hostHours"): number {
  return runs.reduce((a, r) => a + (r.policies[p]?.[k] ?? 0), 0);
}

/**
 * The move models side by side. `handoff_violation_reduction_vs_copy_<policy>` is 1 - hand-off
 * violation minutes / copy violation minutes (0 where copies had none), pooled like the headline
 * (summed over workloads and seeds before the ratio), and per workload pooled over its seeds
 * (`<workload>_...`) with the median and range over seeds (`_median|_min|_max`); beside it the
 * host-hours ratio. The hand-off runs' own figures carry a `handoff_` prefix (the copy runs', the
 * default model's, are the suite's plain keys): their headline, equal-cost and cost-floor keys, and
 * per workload every policy's violation minutes and host-hours.
 */
export function moveModelMetrics(s: MoveModelSuite): Record<string, number> {
  const out: Record<string, number> = {};
  const { handoff, copy } = s;
  const pair = (w?: string) => {
    const h = handoff.seeds.filter((r) => w === undefined || r.workload === w);
    const c = copy.seeds.filter((r) => w === undefined || r.workload === w);
    return { h, c };
  };
  const compared = (prefix: string, h: readonly SeedRun[], c: readonly SeedRun[]) => {
    for (const p of MOVE_COMPARED_POLICIES) {
      out[`${prefix}handoff_violation_reduction_vs_copy_${p}`] = reduction(total(h, p, "violationMinutes"), total(c, p, "violationMinutes"));
      const hours = total(c, p, "hostHours");
      out[`${prefix}handoff_host_hours_ratio_vs_copy_${p}`] = hours > 0 ? total(h, p, "hostHours") / hours : -1;
    }
  };
  const all = pair();
  compared("", all.h, all.c);
  for (const [k, v] of Object.entries(handoff.headline) as Array<[string, number]>) out[`handoff_${k}`] = finite(v);
  for (const [k, v] of Object.entries({ ...equalCostMetrics(handoff.seeds), ...lowerBoundMetrics(handoff.seeds), ...boundMetrics(handoff.seeds), ...boundMedians(handoff.seeds) })) out[`handoff_${k}`] = v;
  out.handoff_seeds_per_workload = handoff.seeds.length > 0 ? handoff.seeds.length / new Set(handoff.seeds.map((r) => r.workload)).size : 0;
  for (const name of new Set(handoff.seeds.map((r) => r.workload))) {
    const w = name.replace(/-/g, "_");
    const { h, c } = pair(name);
    compared(`${w}_`, h, c);
    for (const p of MOVE_COMPARED_POLICIES) {
      // Seed by seed: the same workload and seed under both models.
      const perSeed = h.flatMap((hr) => {
        const cr = c.find((x) => x.seed === hr.seed);
        return cr ? [reduction(hr.policies[p]?.violationMinutes ?? 0, cr.policies[p]?.violationMinutes ?? 0)] : [];
      });
      const key = `${w}_handoff_violation_reduction_vs_copy_${p}`;
      out[`${key}_median`] = perSeed.length > 0 ? median(perSeed) : -1;
      out[`${key}_min`] = perSeed.length > 0 ? Math.min(...perSeed) : -1;
      out[`${key}_max`] = perSeed.length > 0 ? Math.max(...perSeed) : -1;
    }
    for (const [k, v] of Object.entries(boundMetrics(h))) out[`handoff_${w}_${k}`] = v;
    const pooled = pooledSummary(h);
    for (const [k, v] of Object.entries(pooled) as Array<[string, number]>) if (k.startsWith("violation_minutes_") || k.startsWith("host_hours_")) out[`handoff_${w}_${k}`] = finite(v);
  }
  return out;
}
