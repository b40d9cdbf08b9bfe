import { missRatio, pinReward, redactSecrets } from "@shardcast/core";
import { listStreamNames, type ControlDb } from "@shardcast/db";
import { readEdgeCacheCounts, readPlacementState, type EdgeCacheSnapshot, type Logger, type PinRecord } from "@shardcast/runtime";
import type { RedisClient } from "../context.ts";
import type { PinsView } from "../routers/cache/schemas.ts";
import { shardletRanges } from "./shardlet-ranges.ts";
import { streamFor } from "./consumer-views.ts";
import { placementSettings } from "./placement-settings.ts";

export interface PinsViewDeps {
  db: ControlDb;
  redis: RedisClient;
  prefix: string;
  log: Logger;
}

/**
 * The shardlets the placement job pinned in the edges' caches (of one stream when asked): since
 * when, how their reads fared before and since, their reward so far, and the bytes their entries
 * hold on the edges now. The counts are those of the job's last run; the bytes, the edges' latest
 * snapshots.
 */
export async function pinsView(deps: PinsViewDeps, q: { stream?: string; nowMs: number }): Promise<PinsView> {
  const stream = q.stream ? await streamFor(deps.db, q.stream) : null;
  const [{ settings }, names] = await Promise.all([placementSettings.get(deps.db), listStreamNames(deps.db)]);
  const base = { at: new Date(q.nowMs), stream, pinBudgetShare: settings.pinBudgetShare, maxPins: settings.maxPins };
  let pins: Array<[string, PinRecord]>;
  let edges: EdgeCacheSnapshot[];
  try {
    const state = await readPlacementState(deps.redis, deps.prefix, settings.exploration);
    pins = Object.entries(state.pins).filter(([, p]) => stream === null || p.streamId === stream.id);
    edges = await readEdgeCacheCounts(deps.redis, deps.prefix, q.nowMs);
  } catch (err) {
    deps.log.warn("pins view: state unreadable", { error: err });
    return { ...base, pins: [], stateError: `the placement job's state could not be read: ${err instanceof Error ? redactSecrets(err.message) : "Redis did not answer"}` };
  }
  const held = new Map<string, { bytes: number; edges: number; shieldedOn: number }>();
  for (const e of edges) {
    for (const p of e.pinned) {
      const h = held.get(p.shardletId) ?? { bytes: 0, edges: 0, shieldedOn: 0 };
      h.bytes += p.bytes;
      if (p.bytes > 0) h.edges++;
      if (p.shielded) h.shieldedOn++;
      held.set(p.shardletId, h);
    }
  }
  const streamName = new Map(names.map((n) => [n.id, n.name]));
  const ranges = await shardletRanges(deps.db, pins.map(([id]) => id));
  return {
    ...base,
    stateError: null,
    pins: pins
      .sort(([, a], [, b]) => b.since - a.since)
      .map(([shardletId, p]) => {
        const h = held.get(shardletId) ?? { bytes: 0, edges: 0, shieldedOn: 0 };
        const reads = p.hits + p.misses;
        return {
          streamId: p.streamId,
          streamName: streamName.get(p.streamId) ?? p.streamId,
          shardletId,
          range: ranges.get(shardletId) ?? null,
          since: new Date(p.since),
          runs: p.runs,
          context: p.context,
          missRatioBefore: p.missRatioBefore,
          reads,
          missRatioSince: missRatio(p),
          reward: reads > 0 ? pinReward(p) : null,
          ...h,
        };
      }),
  };
}
