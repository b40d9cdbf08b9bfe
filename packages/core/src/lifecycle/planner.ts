import { isRoutedState, type ShardletBase, type ShardletState } from "../types.ts";
import type { LifecycleSettings } from "./settings.ts";

/**
 * The shardlet manager's decisions, without I/O: which shardlets to split (past the size or write
 * rate threshold) and which adjacent cold pairs to merge. The worker feeds it the control
 * database's figures; the simulator feeds it synthetic ones, so it must stay cheap
 * (O(n log n) in the number of shardlets).
 */

/** Where the rows of a shardlet sit in its range: from its host's events. */
export interface LoadProfile {
  /** Median key hash of the shardlet's events. */
  median: number;
  /** Smallest and largest key hash stored. */
  min: number;
  max: number;
  /** Events the profile was taken over. */
  rows: number;
}

export type SplitPoint =
  /** `at` is the first hash of the right child: children are [lo, at) and [at, hi). */
  | { at: number; basis: "median" | "midpoint" | "clamped" }
  | { at: null; reason: string };

/**
 * The split point of [lo, hi): the load median of the range (so each child takes about half of the
 * events, wherever they cluster), the midpoint when nothing is known about the load, clamped so
 * that both children are at least `minWidth` hashes wide. No split point when the range is too
 * narrow or every event sits on one key hash (no cut separates them).
 */
export function chooseSplitPoint(lo: number, hi: number, load: LoadProfile | number | null, minWidth: number): SplitPoint {
  const width = Math.max(1, Math.floor(minWidth));
  if (hi - lo < 2 * width) return { at: null, reason: `range [${lo}, ${hi}) is narrower than twice the minimum width ${width}` };
  const first = lo + width;
  const last = hi - width;
  if (load === null || (typeof load !== "number" && load.rows === 0)) return { at: lo + Math.floor((hi - lo) / 2), basis: "midpoint" };
  let at: number;
  if (typeof load === "number") {
    at = Math.floor(load);
  } else {
    if (load.min === load.max) {
      return { at: null, reason: `all ${load.rows} events share one key hash (${load.min}): a split cannot divide them` };
    }
    // The median is a stored hash; it opens the right child. When it is also the smallest hash
    // (half the rows or more on the lowest key), cut just above it so the left child is not empty.
    at = load.median > load.min ? load.median : load.median + 1;
  }
  if (at < first) at = first;
  else if (at > last) at = last;
  else return { at, basis: "median" };
  return { at, basis: "clamped" };
}

/** A shardlet as the planner sees it (control-database figures). */
export interface PlannerShardlet extends ShardletBase {
  state: ShardletState;
  sizeBytes: number;
  capacityBytes: number;
  /** Events per second, from accounting. */
  writeRate: number;
  parentId: string | null;
}

export type LifecycleAction =
  | { kind: "split"; shardletId: string; streamId: string; reason: string }
  | { kind: "merge"; leftId: string; rightId: string; streamId: string; reason: string };

export interface LifecyclePlan {
  actions: LifecycleAction[];
  /** Shardlets past a split threshold that were left alone, and why. */
  skipped: Array<{ shardletId: string; reason: string }>;
}

export interface PlanOptions {
  /** Shardlets a job holds or is about to change (op-locked, in an unfinished lifecycle job). */
  busy: ReadonlySet<string>;
  /** Live (routed) shardlets per stream; counted from `shardlets` when absent. */
  liveCount?: ReadonlyMap<string, number>;
  /** Shardlets that may split but must not merge (parts prepared for a predicted surge that has not come yet). */
  keepApart?: ReadonlySet<string>;
}

function pct(x: number): string {
  return `${(x * 100).toFixed(0)}%`;
}

function rate(x: number): string {
  return `${x.toFixed(x < 10 ? 1 : 0)}/s`;
}

function fullness(s: PlannerShardlet): number {
  return s.capacityBytes > 0 ? s.sizeBytes / s.capacityBytes : 0;
}

/**
 * Splits, hottest first (by how far past its threshold a shardlet is), then merges, coldest pair
 * first. A shardlet takes part in at most one action; busy and non-active shardlets in none.
 * Splits stop at `maxShardletsPerStream` live shardlets per stream (merges free room first
 * only in the next scan: the count used here is the current one plus the splits planned).
 */
export function planLifecycle(shardlets: readonly PlannerShardlet[], settings: LifecycleSettings, opts: PlanOptions): LifecyclePlan {
  const actions: LifecycleAction[] = [];
  const skipped: LifecyclePlan["skipped"] = [];
  const live = new Map<string, number>(opts.liveCount ?? []);
  if (!opts.liveCount) {
    for (const s of shardlets) if (isRoutedState(s.state)) live.set(s.streamId, (live.get(s.streamId) ?? 0) + 1);
  }
  const used = new Set<string>();
  const minWidth = Math.max(1, settings.minShardletWidth);

  // Splits.
  const hot: Array<{ s: PlannerShardlet; pressure: number; reason: string }> = [];
  for (const s of shardlets) {
    if (s.state !== "active") continue;
    const full = fullness(s);
    const bySize = full >= settings.splitThreshold;
    const byRate = s.writeRate >= settings.splitWriteRate;
    if (!bySize && !byRate) continue;
    const pressure = Math.max(full / settings.splitThreshold, s.writeRate / settings.splitWriteRate);
    const reason = bySize
      ? `fullness ${pct(full)} passed the split threshold ${pct(settings.splitThreshold)}`
      : `write rate ${rate(s.writeRate)} passed the split write rate ${rate(settings.splitWriteRate)}`;
    hot.push({ s, pressure, reason });
  }
  hot.sort((a, b) => b.pressure - a.pressure || (a.s.id < b.s.id ? -1 : a.s.id > b.s.id ? 1 : 0));
  for (const { s, reason } of hot) {
    if (opts.busy.has(s.id)) {
      skipped.push({ shardletId: s.id, reason: "busy: a job holds it" });
      continue;
    }
    if (s.hi - s.lo < 2 * minWidth) {
      skipped.push({ shardletId: s.id, reason: `too narrow to split (width ${s.hi - s.lo}, minimum ${minWidth} per child)` });
      continue;
    }
    const count = live.get(s.streamId) ?? 0;
    if (count >= settings.maxShardletsPerStream) {
      skipped.push({ shardletId: s.id, reason: `stream is at its maximum of ${settings.maxShardletsPerStream} shardlets` });
      continue;
    }
    live.set(s.streamId, count + 1);
    used.add(s.id);
    actions.push({ kind: "split", shardletId: s.id, streamId: s.streamId, reason });
  }

  // Merges: neighbours in hash order within one stream, same shard and host, both cold.
  const cold = (s: PlannerShardlet) =>
    s.state === "active" &&
    !opts.busy.has(s.id) &&
    !opts.keepApart?.has(s.id) &&
    !used.has(s.id) &&
    fullness(s) < settings.mergeThreshold &&
    s.writeRate < settings.mergeWriteRate;
  const byStream = new Map<string, PlannerShardlet[]>();
  for (const s of shardlets) {
    if (!isRoutedState(s.state)) continue;
    const list = byStream.get(s.streamId);
    if (list) list.push(s);
    else byStream.set(s.streamId, [s]);
  }
  const pairs: Array<{ left: PlannerShardlet; right: PlannerShardlet; load: number }> = [];
  // The merged shardlet gets the configured initial capacity; it must stay well below the split
  // threshold there, or it would be split again right away.
  const mergedCap = settings.initialCapacityBytes;
  for (const list of byStream.values()) {
    list.sort((a, b) => a.lo - b.lo);
    for (let i = 0; i + 1 < list.length; i++) {
      const left = list[i]!;
      const right = list[i + 1]!;
      if (left.hi !== right.lo || left.shardId !== right.shardId || left.hostId !== right.hostId) continue;
      if (!cold(left) || !cold(right)) continue;
      const size = left.sizeBytes + right.sizeBytes;
      const writes = left.writeRate + right.writeRate;
      if (size / mergedCap >= settings.splitThreshold / 2 || writes >= settings.splitWriteRate / 2) continue;
      pairs.push({ left, right, load: size / mergedCap + writes / settings.splitWriteRate });
    }
  }
  pairs.sort((a, b) => a.load - b.load || (a.left.id < b.left.id ? -1 : a.left.id > b.left.id ? 1 : 0));
  for (const { left, right } of pairs) {
    if (used.has(left.id) || used.has(right.id)) continue;
    used.add(left.id);
    used.add(right.id);
    live.set(left.streamId, (live.get(left.streamId) ?? 1) - 1);
    actions.push({
      kind: "merge",
      leftId: left.id,
      rightId: right.id,
      streamId: left.streamId,
      reason:
        `both cold: fullness ${pct(fullness(left))} and ${pct(fullness(right))} below ${pct(settings.mergeThreshold)}, ` +
        `write rates ${rate(left.writeRate)} and ${rate(right.writeRate)} below ${rate(settings.mergeWriteRate)}`,
    });
  }
  return { actions, skipped };
}
