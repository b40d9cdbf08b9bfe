/** The what-if's charts: the hottest host's utilisation and the hosts paid for, over time. */
import { hostHoursLowerBound, utilSeries, type Comparison } from "@shardcast/sim";

export interface ChartPoint {
  t: number;
  /** The hottest host's mean utilisation over the point, per policy. */
  values: Record<string, number>;
}

export interface HostsPoint {
  t: number;
  /** Paid hosts (provisioning, active, draining) per policy, the mean over the point's ticks. */
  values: Record<string, number>;
  /** Hosts the predictive policy's capacity plan wanted (the most within the point); null without a plan. */
  needed: number | null;
  /** The floor's hosts (see `hostsFloor`), the mean over the point's ticks as `values`. */
  floor: number;
}

/**
 * The cost floor of a what-if: at every tick the fewest hosts the load fills to capacity (the
 * largest host's, so a cluster of mixed hosts is not given more than it could need), with no
 * provisioning, copy time or imbalance; no policy pays fewer host-hours without minutes over capacity.
 */
export function hostsFloor(c: Pick<Comparison, "workload" | "config" | "layout">): ReturnType<typeof hostHoursLowerBound> {
  const largest = Math.max(c.config.cluster.hostCapacityEventsPerSec, ...c.layout.hosts.map((h) => h.capacityEventsPerSec));
  return hostHoursLowerBound(c.workload, c.config, largest);
}

/**
 * Hosts over time per policy, on the same points as the utilisation chart: what each policy paid
 * for, beside the hosts the predictive capacity plan asked for and the floor's hosts per tick.
 */
export function hostsPoints(c: Comparison, origin: number, floor: Uint16Array): HostsPoint[] {
  const first = c.runs[0];
  if (!first) return [];
  const perPoint = Math.max(1, Math.ceil(first.ticks / 240));
  const points = Math.ceil(first.ticks / perPoint);
  const planner = c.runs.find((r) => r.policy === "predictive");
  const out: HostsPoint[] = [];
  for (let p = 0; p < points; p++) {
    const from = p * perPoint;
    const to = Math.min(first.ticks, from + perPoint);
    const mean = (series: ArrayLike<number>) => {
      let sum = 0;
      for (let t = from; t < to; t++) sum += series[t] ?? 0;
      return Number((sum / Math.max(1, to - from)).toFixed(3));
    };
    const values: Record<string, number> = {};
    for (const r of c.runs) values[r.policy] = mean(r.hostsPaid);
    let needed: number | null = null;
    if (planner) {
      for (let t = from; t < to; t++) {
        // A tick without a plan has no forecast (NaN); its hosts-needed entry means nothing then.
        if (Number.isNaN(planner.planForecast[t] ?? NaN)) continue;
        needed = Math.max(needed ?? 0, planner.planHostsNeeded[t] ?? 0);
      }
    }
    out.push({ t: origin + from * first.tickMs, values, needed, floor: mean(floor) });
  }
  return out;
}

/** At most ~240 points: the hottest host's mean utilisation per point, per policy. */
export function chartPoints(c: Comparison, origin: number): ChartPoint[] {
  const first = c.runs[0];
  if (!first) return [];
  const perPoint = Math.max(1, Math.ceil(first.ticks / 240));
  const hottest = c.runs.map((r) => {
    const series = utilSeries(r, perPoint);
    return series[0]!.map((_, p) => Math.max(...series.map((h) => h[p]!)));
  });
  return hottest[0]!.map((_, p) => ({
    t: origin + p * perPoint * first.tickMs,
    values: Object.fromEntries(c.runs.map((r, i) => [r.policy, Number(hottest[i]![p]!.toFixed(4))])),
  }));
}
