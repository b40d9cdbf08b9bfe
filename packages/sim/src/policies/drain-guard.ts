import type { PolicyView } from "../engine/types.ts";

/**
 * The oracle's check on a drain the capacity plan proposes. The plan sizes the cluster on its
 * total load, so a drain it calls safe can still pack a shardlet that bursts hours later onto a
 * host whose other shardlets leave it no room: the host then runs over capacity while the hosts
 * asked for fill only as fast as moves come off it. Knowing every shardlet's true future, the
 * oracle drains only when the drained host's shardlets fit on the remaining active hosts, placed
 * greedily (largest coming peak first, onto the host whose peak grows least), within
 * `utilization` of each host's capacity at every step of the look-ahead. Without this the oracle
 * was weaker than a forecast on bursty load and was no upper bound.
 */
export function drainFitsAhead(view: PolicyView, drainHostId: string, opts: { steps: number; utilization: number }): boolean {
  const steps = Math.max(1, Math.floor(opts.steps));
  const rest = view.hosts.filter((h) => h.id !== drainHostId && h.status === "active");
  if (rest.length === 0) return false;
  const hostIds = rest.map((h) => h.id);
  const series = new Map<string, number[]>(hostIds.map((id) => [id, new Array<number>(steps).fill(0)]));
  const moving: number[][] = [];
  for (const sl of view.shardlets) {
    const f = view.future(sl, steps);
    // A shardlet being migrated lands on its destination.
    const hostId = view.inFlightMoves.get(sl.id) ?? sl.hostId;
    const acc = series.get(hostId);
    if (acc) addInto(acc, f);
    else if (hostId === drainHostId) moving.push(f);
  }
  const capacity = new Map(rest.map((h) => [h.id, h.capacityEventsPerSec * opts.utilization]));
  return fitsGreedy(series, capacity, moving);
}

/**
 * Places each of `moving` (load per step) on the host whose peak grows least, largest peak first,
 * and says whether every host stays within its capacity at every step. `series` is changed.
 */
export function fitsGreedy(series: Map<string, number[]>, capacity: ReadonlyMap<string, number>, moving: readonly (readonly number[])[]): boolean {
  const peakOf = (f: readonly number[]) => f.reduce((m, v) => (v > m ? v : m), 0);
  // Each peak once, not at every comparison of the sort.
  const order = moving.map((f) => ({ f, peak: peakOf(f) })).sort((a, b) => b.peak - a.peak);
  for (const { f } of order) {
    let best: string | null = null;
    let bestPeak = Infinity;
    for (const [id, acc] of series) {
      let peak = 0;
      for (let k = 0; k < acc.length; k++) peak = Math.max(peak, acc[k]! + (f[k] ?? 0));
      // Relative to the host's capacity, so a larger host takes more.
      const rel = peak / (capacity.get(id) ?? Infinity);
      if (rel < bestPeak) [best, bestPeak] = [id, rel];
    }
    if (best === null) return false;
    addInto(series.get(best)!, f);
  }
  for (const [id, acc] of series) if (peakOf(acc) > (capacity.get(id) ?? Infinity)) return false;
  return true;
}

function addInto(acc: number[], f: readonly number[]): void {
  for (let k = 0; k < acc.length; k++) acc[k]! += f[k] ?? 0;
}
