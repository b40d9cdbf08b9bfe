import { cacheWindow, decidePinning, pinReward, type LivePin, type PinCandidate, type PlacementSettings } from "@shardcast/core";
import { recordOperation, type ControlDb } from "@shardcast/db";
import { readEdgeCacheCounts, readPinSet, writePinSet, type PlacementDecisionRecord, type PlacementState } from "@shardcast/runtime";
import type { Logger } from "@shardcast/runtime/logger";
import type { Redis } from "ioredis";
import { checkAborted } from "../domain/abort.ts";

export interface PinningResult {
  pinned: number;
  unpinned: number;
}

/** A shardlet as the run measured it: its stream and the consumer groups following it. */
export interface PinShardlet {
  shardletId: string;
  streamId: string;
  groups: number;
}

/**
 * The bandit's cache-pin arm at one placement run: reads the edges' cache snapshots, takes the
 * window since the previous run, adds it to every pin's counts since it was pinned, rewards and
 * unpins, then pins shardlets whose reads missed. The pin set goes to Redis and is announced
 * when it changed (edges load it then); each pin and unpin goes to the operations log.
 */
export async function runPinning(
  deps: { db: ControlDb; log: Logger },
  c: { redis: Redis; prefix: string; state: PlacementState; settings: PlacementSettings; now: number; actor: string; signal?: AbortSignal },
  shardlets: readonly PinShardlet[],
  live: ReadonlySet<string>,
): Promise<PinningResult> {
  const result: PinningResult = { pinned: 0, unpinned: 0 };
  // The window since the previous run (the first run charges its pins nothing: it made none yet).
  const windowMs = c.state.lastRunAt === null ? 0 : c.now - c.state.lastRunAt;
  const window = cacheWindow(c.state.cacheSeen, await readEdgeCacheCounts(c.redis, c.prefix, c.now), windowMs);
  c.state.cacheSeen = window.seen;
  const pins: LivePin[] = Object.entries(c.state.pins).map(([shardletId, p]) => {
    const w = window.reads.get(shardletId);
    if (w) [p.hits, p.misses, p.evictedMisses] = [p.hits + w.hits, p.misses + w.misses, p.evictedMisses + w.evictedMisses];
    p.displaced += window.displaced.get(shardletId) ?? 0;
    return { ...p, shardletId, live: live.has(shardletId) };
  });
  // The latest cache-pin decision of each measured pin shows its reward so far (the bandit gets the same value below).
  for (const p of pins) {
    if (p.runs === 0 || p.hits + p.misses === 0) continue;
    const rec = c.state.recent.find((d) => d.shardletId === p.shardletId && d.arm === "cache-pin");
    if (rec) rec.reward = pinReward(p);
  }
  const groups = new Map(shardlets.map((s) => [s.shardletId, s.groups]));
  const candidates: PinCandidate[] = [...window.reads.values()].filter((r) => live.has(r.shardletId)).map((r) => ({ ...r, groups: groups.get(r.shardletId) ?? 0 }));
  const decisions = decidePinning(c.state.bandit, candidates, pins, c.settings);
  for (const d of decisions) {
    checkAborted(c.signal);
    const rec: PlacementDecisionRecord = { at: c.now, streamId: d.streamId, shardletId: d.shardletId, arm: d.arm, context: d.context, reason: d.reason, reward: d.arm === "unpin" ? d.reward : null };
    c.state.recent.unshift(rec);
    if (d.arm === "leave") continue;
    if (d.arm === "cache-pin") {
      c.state.pins[d.shardletId] = { streamId: d.streamId, context: d.context, since: c.now, runs: 0, missRatioBefore: d.missRatio, hits: 0, misses: 0, evictedMisses: 0, displaced: 0 };
      result.pinned++;
    } else {
      delete c.state.pins[d.shardletId];
      result.unpinned++;
    }
    const kind = d.arm === "cache-pin" ? "placement.pin" : "placement.unpin";
    await recordOperation(deps.db, { kind, streamId: d.streamId, shardletId: d.shardletId, actor: c.actor, status: "succeeded", message: d.reason, details: { context: d.context } });
  }
  for (const p of Object.values(c.state.pins)) p.runs++;
  await publishPins(c);
  return result;
}

/** Writes and announces the pin set when it differs from what the edges have (also after the job's state was lost). */
async function publishPins(c: { redis: Redis; prefix: string; state: PlacementState; settings: PlacementSettings; now: number }): Promise<void> {
  const pins = Object.entries(c.state.pins)
    .map(([shardletId, p]) => ({ streamId: p.streamId, shardletId, since: p.since }))
    .sort((a, b) => a.shardletId.localeCompare(b.shardletId));
  const stored = await readPinSet(c.redis, c.prefix);
  const same = stored !== null && stored.budgetShare === c.settings.pinBudgetShare && JSON.stringify(stored.pins) === JSON.stringify(pins);
  if (!same) await writePinSet(c.redis, c.prefix, { at: c.now, budgetShare: c.settings.pinBudgetShare, pins });
}
