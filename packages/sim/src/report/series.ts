import type { PolicyRun } from "../engine/simulation.ts";

/** Per host, the mean utilisation of each group of `perPoint` ticks (e.g. one workload bucket). */
export function utilSeries(run: PolicyRun, perPoint: number): number[][] {
  const hosts = run.hostIds.length;
  const points = Math.ceil(run.ticks / perPoint);
  const out = Array.from({ length: hosts }, () => new Array<number>(points).fill(0));
  for (let p = 0; p < points; p++) {
    const from = p * perPoint;
    const to = Math.min(run.ticks, from + perPoint);
    for (let h = 0; h < hosts; h++) {
      let sum = 0;
      for (let t = from; t < to; t++) sum += run.util[t * hosts + h]!;
      out[h]![p] = sum / Math.max(1, to - from);
    }
  }
  return out;
}

/** Indexes of the points (groups of `perPoint` ticks) in which some host was above capacity. */
export function violationPoints(run: PolicyRun, perPoint: number): number[] {
  const out: number[] = [];
  const points = Math.ceil(run.ticks / perPoint);
  for (let p = 0; p < points; p++) {
    let any = false;
    for (let t = p * perPoint; t < Math.min(run.ticks, (p + 1) * perPoint); t++) if (run.violationMs[t]! > 0) any = true;
    if (any) out.push(p);
  }
  return out;
}

/** Largest value of any series (for a shared y axis). */
export function seriesMax(series: readonly (readonly number[])[]): number {
  let m = 0;
  for (const s of series) for (const v of s) if (v > m) m = v;
  return m;
}
