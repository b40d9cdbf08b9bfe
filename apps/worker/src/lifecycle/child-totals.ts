import { rangeTotals, shardletTotals, type HostDriver, type RangeTotals } from "@shardcast/db";
import type { ChildRange, SourceShardlet } from "./shape.ts";

/**
 * The events and bytes each child of a split or merge starts with, taken in the op-lock window
 * (the sources fenced, producers' writes held), so what it reads is what the window costs. The
 * host's accounting of a source is exact once the source is fenced: every write that passed its
 * fence committed its delta with its rows, and a partition drop subtracts what it dropped. So a
 * merge's child is the sum of its sources (no scan), and a split counts its left child (one index
 * range scan, about half the source's rows) and gives the right child the rest. Counting every
 * piece scanned every row of the range in the window, as many as the shardlet holds. Where the
 * accounting is below the count (it drifted), the right child is counted too, so a split still
 * re-measures a range it cannot account for.
 */
export async function childTotals(driver: HostDriver, merge: boolean, sources: readonly SourceShardlet[], children: readonly ChildRange[]): Promise<RangeTotals[]> {
  const streamId = sources[0]!.streamId;
  const accounted = Promise.all(sources.map((s) => shardletTotals(driver, s.id)));
  if (merge) {
    const sum = (await accounted).reduce((t, s) => ({ events: t.events + s.events, bytes: t.bytes + s.bytes }), { events: 0, bytes: 0 });
    return [sum];
  }
  const [left, right] = children;
  const [[source], [counted]] = await Promise.all([accounted, rangeTotals(driver, [{ streamId, lo: left!.lo, hi: left!.hi }])]);
  const rest = { events: source!.events - counted!.events, bytes: source!.bytes - counted!.bytes };
  if (rest.events >= 0 && rest.bytes >= 0) return [counted!, rest];
  const [measured] = await rangeTotals(driver, [{ streamId, lo: right!.lo, hi: right!.hi }]);
  return [counted!, measured!];
}
