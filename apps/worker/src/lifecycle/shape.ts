import { ShardcastError, type FencedShardlet } from "@shardcast/core";
import { newRowId, type LifecycleSourceRow } from "@shardcast/db";

/**
 * Pure helpers of splits and merges: the children's ranges, which events go where, the new
 * epochs, and how the parents' figures are shared out.
 */

export interface SourceShardlet extends FencedShardlet {
  writeRate: number;
}

/** The fields of a source's control row a lifecycle job works with. */
export function toSourceShardlet(r: LifecycleSourceRow): SourceShardlet {
  return { id: r.id, streamId: r.streamId, shardId: r.shardId, lo: r.lo, hi: r.hi, hostId: r.hostId, state: r.state, epoch: r.epoch, writeRate: r.writeRate };
}

export interface ChildRange {
  id: string;
  lo: number;
  hi: number;
}

/** Epoch of a shardlet that a split or merge creates (a new id, so no older writer can hold it). */
export const CHILD_EPOCH = 1;

/** A new shardlet id: time-ordered prefix, random tail (the same shape as the database's ids). */
export function newShardletId(nowMs: number = Date.now()): string {
  return newRowId(nowMs);
}

export type ChangingState = "splitting" | "merging" | "migrating";

/** The sources' state while the job changes them (a hand-off's source is `migrating`). */
export function changingState(kind: "split" | "merge" | "handoff"): ChangingState {
  return kind === "split" ? "splitting" : kind === "merge" ? "merging" : "migrating";
}

/** A hand-off's successor: the source's whole range under a new id (opened on the destination). */
export function handoffRange(source: { lo: number; hi: number }, childIds: readonly string[]): ChildRange[] {
  const [id] = childIds;
  if (!id || childIds.length !== 1) throw new ShardcastError("internal", "a hand-off has exactly one successor");
  return [{ id, lo: source.lo, hi: source.hi }];
}

/** The two children of a split at `at`: [lo, at) and [at, hi). */
export function splitRanges(source: { lo: number; hi: number }, at: number, childIds: readonly string[]): ChildRange[] {
  const [left, right] = childIds;
  if (!left || !right || childIds.length !== 2) throw new ShardcastError("internal", "a split has exactly two children");
  if (!(at > source.lo && at < source.hi)) throw new ShardcastError("internal", `split point ${at} is outside (${source.lo}, ${source.hi})`);
  return [
    { id: left, lo: source.lo, hi: at },
    { id: right, lo: at, hi: source.hi },
  ];
}

/** Why two shardlets cannot be merged, or null when they can (left directly before right). */
export function mergeProblem(left: SourceShardlet, right: SourceShardlet): string | null {
  if (left.id === right.id) return "a shardlet cannot be merged with itself";
  if (left.streamId !== right.streamId) return "the shardlets belong to different streams";
  if (left.shardId !== right.shardId) return "the shardlets belong to different shards";
  if (left.hostId !== right.hostId) return "the shardlets live on different hosts";
  if (left.hi !== right.lo) return `the shardlets are not adjacent ([${left.lo}, ${left.hi}) and [${right.lo}, ${right.hi}))`;
  return null;
}

/** The merged shardlet's range. */
export function mergeRange(left: { lo: number; hi: number }, right: { lo: number; hi: number }, childIds: readonly string[]): ChildRange[] {
  const [id] = childIds;
  if (!id || childIds.length !== 1) throw new ShardcastError("internal", "a merge has exactly one child");
  return [{ id, lo: left.lo, hi: right.hi }];
}

/**
 * The epochs of the sources during the change: one above the current epoch, unless the source is
 * already in the changing state (a resumed job whose raise reached the control database).
 */
export function changeEpochs(sources: readonly SourceShardlet[], state: ChangingState): Map<string, number> {
  const out = new Map<string, number>();
  for (const s of sources) {
    if (s.state !== "active" && s.state !== state) {
      throw new ShardcastError("conflict", `shardlet ${s.id} is ${s.state}, not active`, { shardletId: s.id });
    }
    out.set(s.id, s.state === state ? s.epoch : s.epoch + 1);
  }
  return out;
}

/** The target whose range holds `hash`, by binary search over targets sorted by `lo`. */
export function targetFor<T extends { lo: number; hi: number }>(sorted: readonly T[], hash: number): T | undefined {
  let a = 0;
  let b = sorted.length - 1;
  while (a <= b) {
    const m = (a + b) >>> 1;
    const t = sorted[m]!;
    if (hash < t.lo) b = m - 1;
    else if (hash >= t.hi) a = m + 1;
    else return t;
  }
  return undefined;
}

/** The sources' write rate shared over the children in proportion to the events each received. */
export function shareWriteRate(totalRate: number, childEvents: readonly number[]): number[] {
  const sum = childEvents.reduce((a, b) => a + b, 0);
  if (sum === 0) return childEvents.map(() => totalRate / Math.max(1, childEvents.length));
  return childEvents.map((n) => (totalRate * n) / sum);
}

/** The smallest [lo, hi) covering all ranges. */
export function cover(ranges: ReadonlyArray<{ lo: number; hi: number }>): { lo: number; hi: number } {
  let lo = Infinity;
  let hi = -Infinity;
  for (const r of ranges) {
    if (r.lo < lo) lo = r.lo;
    if (r.hi > hi) hi = r.hi;
  }
  return { lo, hi };
}
