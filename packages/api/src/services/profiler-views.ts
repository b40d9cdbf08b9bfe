import { ShardcastError, summarizeProfile, ShardletProfile } from "@shardcast/core";
import { assessClusterHealth, getStreamByName, listPlannerNotes, profileActivity, readShardletProfiles, type ControlDb } from "@shardcast/db";
import type { HealthView } from "../routers/profiler/schemas.ts";

const ACTIVITY_WINDOW_MS = 6 * 3_600_000;

/**
 * Health of every live shardlet and host (the shard map and heatmap colour by it) and, for one
 * stream, its profile per shardlet and as a whole, the orchestrator's notes and the profiler's
 * activity. Scores come from the same assessment the orchestrator decides from.
 */
export async function healthView(db: ControlDb, q: { stream?: string; nowMs: number }): Promise<HealthView> {
  let streamId: string | undefined;
  if (q.stream) {
    const s = await getStreamByName(db, q.stream);
    if (!s) throw new ShardcastError("not_found", `stream "${q.stream}" does not exist`);
    streamId = s.id;
  }
  const health = await assessClusterHealth(db, { nowMs: q.nowMs, ...(streamId ? { streamId } : {}) });
  const hostNames = new Map(health.hosts.map((h) => [h.host.id, h.host.name]));
  const shardlets = health.streams.flatMap((s) =>
    s.shardlets.map((v) => ({
      id: v.shardlet.id,
      streamId: s.id,
      streamName: s.name,
      lo: v.shardlet.lo,
      hi: v.shardlet.hi,
      hostId: v.shardlet.hostId,
      hostName: hostNames.get(v.shardlet.hostId) ?? v.shardlet.hostId,
      state: v.shardlet.state,
      writeRate: v.writeRate,
      predictedPeak: v.predictedPeak,
      health: v.health,
      profile: v.profile,
    })),
  );
  const one = streamId ? health.streams.find((s) => s.id === streamId) : undefined;
  let streamProfile: HealthView["streamProfile"] = null;
  let activity: HealthView["activity"] = [];
  if (one) {
    const [profiles, act] = await Promise.all([
      readShardletProfiles(db, { streamId: one.id, fromMs: q.nowMs - one.settings.windowSec * 1000, toMs: q.nowMs + 1 }),
      profileActivity(db, { streamId: one.id, fromMs: q.nowMs - ACTIVITY_WINDOW_MS, toMs: q.nowMs + 1 }),
    ]);
    const merged = new ShardletProfile();
    for (const p of profiles.values()) {
      // Key positions are relative to each shardlet's range, so they do not add up across shardlets.
      const copy = ShardletProfile.fromData(p.toData());
      copy.keyBins.fill(0);
      merged.merge(copy);
    }
    streamProfile = merged.empty ? null : summarizeProfile(merged);
    activity = act.map((a) => ({ t: a.bucketStart, sampled: a.sampled }));
  }
  const notes = (await listPlannerNotes(db, { source: "orchestrator", limit: 200 }))
    .filter((n) => !streamId || n.streamId === streamId)
    .map((n) => ({ shardletId: n.shardletId, message: n.message, at: n.at }));
  return {
    at: new Date(health.atMs),
    settings: one
      ? {
          keyFields: one.settings.keyFields,
          sampleRate: one.settings.sampleRate,
          healthThreshold: one.settings.healthThreshold,
          migrationWindowSec: one.settings.migrationWindowSec,
          maxShards: one.settings.maxShards,
          windowSec: one.settings.windowSec,
        }
      : null,
    enabled: health.settings.enabled,
    shardlets,
    streamProfile,
    hosts: health.hosts.map((h) => ({ id: h.host.id, name: h.host.name, status: h.host.status, writeShare: h.writeShare, health: h.health })),
    notes,
    activity,
  };
}
