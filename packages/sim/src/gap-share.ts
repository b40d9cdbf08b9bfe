import { median } from "@shardcast/core";
import type { PolicyName } from "./compare.ts";

/** What the gap shares read of a seed's run (the suite's `SeedRun` has it; named here so this module does not import the suite back). */
export interface BoundRun {
  workload: string;
  policies: Partial<Record<PolicyName, { hostHours: number }>>;
  boundHostHours: number;
}

/**
 * How much of the cost there is to take each policy takes: the gap between static peak's
 * host-hours and the fewest host-hours with no violation (engine/fill-bound.ts), and the share of
 * it a policy closes, (static peak - policy) / (static peak - bound). 1 is the bound, 0 static
 * peak; a policy with violation minutes may pass 1, since the bound holds only for operation with
 * none (read it beside the policy's violation minutes).
 */
export function gapShare(staticPeak: number, policy: number, bound: number): number | null {
  const gap = staticPeak - bound;
  return gap > 0 ? (staticPeak - policy) / gap : null;
}

const hours = (runs: readonly BoundRun[], p: PolicyName) => runs.reduce((a, r) => a + (r.policies[p]?.hostHours ?? 0), 0);
const policiesOf = (runs: readonly BoundRun[]) => [...new Set(runs.flatMap((r) => Object.keys(r.policies) as PolicyName[]))].filter((p) => p !== "static_peak");

/** `bound_host_hours` and `gap_share_closed_<policy>`, host-hours summed over `runs` before the ratio. */
export function boundMetrics(runs: readonly BoundRun[], prefix = ""): Record<string, number> {
  const bound = runs.reduce((a, r) => a + r.boundHostHours, 0);
  if (!(bound > 0)) return {};
  const out: Record<string, number> = { [`${prefix}bound_host_hours`]: bound };
  const staticPeak = hours(runs, "static_peak");
  if (!(staticPeak > 0)) return out;
  out[`${prefix}bound_ratio_vs_static_peak`] = bound / staticPeak;
  for (const p of policiesOf(runs)) {
    const share = gapShare(staticPeak, hours(runs, p), bound);
    if (share !== null) out[`${prefix}gap_share_closed_${p}`] = share;
  }
  return out;
}

/**
 * The median over workloads of each workload's gap share (its seeds pooled), so one workload with
 * a wide gap (the tweets) does not stand for all; workloads with no gap (a flat load) are left out.
 */
export function boundMedians(runs: readonly BoundRun[], prefix = ""): Record<string, number> {
  const out: Record<string, number> = {};
  const workloads = [...new Set(runs.map((r) => r.workload))];
  for (const p of policiesOf(runs)) {
    const shares = workloads.flatMap((w) => {
      const mine = runs.filter((r) => r.workload === w);
      const share = gapShare(hours(mine, "static_peak"), hours(mine, p), mine.reduce((a, r) => a + r.boundHostHours, 0));
      return share === null ? [] : [share];
    });
    if (shares.length > 0) out[`${prefix}gap_share_closed_${p}_median`] = median(shares);
  }
  return out;
}
