import type { PlacementBandit } from "./bandit.ts";
import { leaveReason, type PlacementSettings } from "./placement.ts";

/**
 * The placement bandit's `cache-pin` arm: a shardlet whose reads keep missing the edges' shard
 * caches gets its entries pinned there, so fills and prefetches of other shardlets cannot evict
 * them while the pinned bytes stay within `pinBudgetShare` of each edge's cache (see
 * `pinned-entries.ts`). Learnt per context like replicate, in contexts of its own (shardlets that
 * missed), against `leave` at its known value.
 *
 * Only misses a pin can save count: those inside what the shardlet's evicted entry held (an
 * *evicted miss*, counted by the edges). A read of events the cache never held (a consumer at the
 * tail, a first read) misses with or without a pin.
 *
 * Reward: the share of the shardlet's reads the pin turned from evicted misses into hits (their
 * share in the window that pinned it, less their share since), net of the reads the shield cost
 * the rest of the caches (per read of the shardlet), in [0, 1]. A shielded byte displaces what the
 * cache would otherwise have kept: the entries it evicts instead are worth, per byte, what its
 * recently evicted entries were (the value cache's going rate, a read chance per horizon), so the
 * shield's cost over a run is its bytes x that rate x the horizons the run spanned. Without the
 * cost every pin looks like a gain, since its own misses fall, while the hits it takes from other
 * shardlets go unseen: in the cache benchmark such pins lowered the hit ratio. Absolute rather than relative to the misses
 * before: a shardlet that missed one read in twenty and now misses none saved few host reads, and
 * must not look as good a pin as one that missed most of its reads. So a pin can earn at most the
 * share it starts from, and a shardlet whose evicted misses are no larger a share of its reads
 * than `leaveReward` is no candidate: even a pin that saved every one could not beat leave.
 */

/** What the placement job measures of a shardlet on the edges in a run's window. */
export interface PinCandidate {
  streamId: string;
  shardletId: string;
  /** Part reads of the shardlet on every edge in the window: served from the cache, not, and evicted misses among those not. */
  hits: number;
  misses: number;
  evictedMisses: number;
  groups: number;
}

/** A pin as the job sees it at a run. */
export interface LivePin {
  streamId: string;
  shardletId: string;
  context: string;
  /** Runs since it was made (0 at the run that made it). */
  runs: number;
  /** Share of the shardlet's reads that were evicted misses in the window that pinned it. */
  missRatioBefore: number;
  /** Part reads of the shardlet on every edge since it was pinned (as in `PinCandidate`). */
  hits: number;
  misses: number;
  evictedMisses: number;
  /**
   * Reads its shielded entries are expected to have cost the rest of the caches since it was
   * pinned: shielded bytes x the cache's going rate per byte and horizon x horizons, summed over
   * the edges and runs (`cacheWindow`).
   */
  displaced: number;
  /** False once the shardlet is gone (split, merged, its stream deleted). */
  live: boolean;
}

/** Part reads a window needs before a shardlet's miss ratio says anything about it. */
export const PIN_MIN_READS = 4;

/** Runs a pin is given before it must earn its keep (its reads may come a while after the pin). */
export const PIN_GRACE_RUNS = 3;

export function pinContext(c: Pick<PinCandidate, "groups">): string {
  return `reads:missed groups:${c.groups > 0 ? "some" : "none"}`;
}

/** The share of reads that were evicted misses (null: no reads). */
export function missRatio(c: Pick<PinCandidate, "hits" | "misses" | "evictedMisses">): number | null {
  const reads = c.hits + c.misses;
  return reads > 0 ? Math.min(1, c.evictedMisses / reads) : null;
}

const clamp01 = (v: number): number => (Number.isFinite(v) ? Math.min(1, Math.max(0, v)) : 0);

/** The measured reward of a pin so far, in [0, 1]; 0 while nothing read the shardlet since it was pinned. */
export function pinReward(p: Pick<LivePin, "missRatioBefore" | "hits" | "misses" | "evictedMisses" | "displaced">): number {
  const since = missRatio(p);
  if (since === null) return 0;
  return clamp01(p.missRatioBefore - since - Math.max(0, p.displaced) / (p.hits + p.misses));
}

export type PinDecision =
  | { arm: "cache-pin" | "leave"; streamId: string; shardletId: string; context: string; reason: string; missRatio: number }
  | { arm: "unpin"; streamId: string; shardletId: string; context: string; reason: string; reward: number };

/**
 * One run's pin decisions. Every live pin whose shardlet was read since it was pinned is rewarded
 * with its reward so far; one whose shardlet is gone, or that has had its grace runs and still
 * earns less than `leave`, is unpinned, and so is every pin when the arm is turned off
 * (`pinBudgetShare` or `maxPins` 0). Past `maxPins` the pins earning least go. Each candidate
 * (read often enough, evicted misses a larger share of its reads than `leaveReward`, not pinned)
 * pulls cache-pin or leave, most evicted misses first, while there is room under `maxPins`.
 */
export function decidePinning(bandit: PlacementBandit, candidates: readonly PinCandidate[], live: readonly LivePin[], settings: PlacementSettings): PinDecision[] {
  const out: PinDecision[] = [];
  const off = settings.pinBudgetShare <= 0 || settings.maxPins <= 0;
  const kept: Array<{ pin: LivePin; reward: number }> = [];
  for (const p of live) {
    const reward = pinReward(p);
    if (p.runs > 0 && p.hits + p.misses > 0) bandit.reward(p.context, "cache-pin", reward);
    const why = off
      ? "pins are turned off"
      : !p.live
        ? "its shardlet is gone (split, merged or deleted)"
        : p.runs >= PIN_GRACE_RUNS && reward < settings.leaveReward
          ? `${describe(p)}: reward ${reward.toFixed(2)} is below the bar ${settings.leaveReward}`
          : null;
    if (why) out.push(unpin(p, `unpin: ${why}`, reward));
    else kept.push({ pin: p, reward });
  }
  // A lowered limit unpins the pins earning least (the youngest first among equals: they have shown least).
  kept.sort((a, b) => b.reward - a.reward || b.pin.runs - a.pin.runs);
  for (const k of kept.splice(settings.maxPins)) out.push(unpin(k.pin, `unpin: over the limit of ${settings.maxPins} pins, reward ${k.reward.toFixed(2)}`, k.reward));
  if (off) return out;
  const pinned = new Set(live.map((p) => p.shardletId));
  const missing = candidates
    .filter((c) => !pinned.has(c.shardletId) && c.hits + c.misses >= PIN_MIN_READS && (missRatio(c) ?? 0) > settings.leaveReward)
    .sort((a, b) => b.evictedMisses - a.evictedMisses || a.shardletId.localeCompare(b.shardletId));
  let count = kept.length;
  for (const c of missing) {
    if (count >= settings.maxPins) break;
    const context = pinContext(c);
    const ratio = missRatio(c) ?? 0;
    const base = { streamId: c.streamId, shardletId: c.shardletId, context, missRatio: ratio };
    const values = bandit.values(context);
    const v = values["cache-pin"];
    if (bandit.choose(context, ["cache-pin", "leave"]) === "leave") {
      bandit.reward(context, "leave", settings.leaveReward);
      out.push({ ...base, arm: "leave", reason: leaveReason(values, ["cache-pin"], context) });
      continue;
    }
    count++;
    const why = v.pulls === 0 ? "not tried yet" : `mean ${v.mean.toFixed(2)} over ${v.pulls} rewards, bound ${v.ucb?.toFixed(2) ?? "none"}`;
    out.push({ ...base, arm: "cache-pin", reason: `cache-pin: ${c.evictedMisses} of ${c.hits + c.misses} reads missed an entry the edges' caches had evicted; in ${context} cache-pin is ${why}` });
  }
  return out;
}

function describe(p: LivePin): string {
  const since = missRatio(p);
  return since === null ? "not read since it was pinned" : `evicted misses were ${(since * 100).toFixed(0)}% of ${p.hits + p.misses} reads since it was pinned, ${(p.missRatioBefore * 100).toFixed(0)}% before`;
}

function unpin(p: LivePin, reason: string, reward: number): PinDecision {
  return { arm: "unpin", streamId: p.streamId, shardletId: p.shardletId, context: p.context, reason, reward };
}
