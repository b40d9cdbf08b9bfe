import { processingRate, ShardcastError, weightsOf } from "@shardcast/core";
import {
  expiredUnreadOf,
  findConsumerGroup,
  getConsumerGroupState,
  getDurableCheckpoints,
  getStreamByName,
  listCheckpointLog,
  listGroupEvents,
  listShardletLineage,
  listShardletRanges,
  type ControlDb,
} from "@shardcast/db";
import type { ShardletRef } from "../routers/consumers/schemas.ts";
import { rangeView } from "../routers/shared.ts";
import { groupReadForecastView } from "./group-read-forecast.ts";

/** Shardlets named per group event: a rebalance moves dozens, and the count says how many there were. */
const EVENT_SHARDLETS = 8;

/** The stream a consumer view is about; a 404 names it when it does not exist. */
export async function streamFor(db: ControlDb, name: string): Promise<{ id: string; name: string }> {
  const s = await getStreamByName(db, name);
  if (!s) throw new ShardcastError("not_found", `unknown stream "${name}"`);
  return { id: s.id, name: s.name };
}

/**
 * One group as the Consumers page shows it: members with what they hold, every assignment with
 * its committed and checkpointed positions and lag (as the checkpoint job last measured them),
 * checkpoints over the window with their reasons, and the group's event log (joins, leaves,
 * expiries, hand-offs and the lineage hand-offs that splits and merges caused), and its read rate
 * beside the analyzer's forecast of it.
 */
export async function consumerGroupView(db: ControlDb, q: { stream: string; group: string; sinceMs: number; limit: number; nowMs: number }) {
  const stream = await streamFor(db, q.stream);
  const g = await findConsumerGroup(db, stream.id, q.group);
  if (!g) throw new ShardcastError("not_found", `unknown consumer group "${q.group}" on stream "${q.stream}"`);
  const state = await getConsumerGroupState(db, g.id);
  if (!state) throw new ShardcastError("not_found", `consumer group "${q.group}" was deleted`);
  const [durable, checkpoints, events, expired, reads] = await Promise.all([
    getDurableCheckpoints(db, g.id),
    listCheckpointLog(db, { groupId: g.id, since: q.sinceMs, limit: q.limit }),
    listGroupEvents(db, g.id, q.limit),
    expiredUnreadOf(db, [g.id]),
    groupReadForecastView(db, { id: g.id, streamId: stream.id, name: g.name }, q.nowMs),
  ]);
  const nameOf = new Map(state.members.map((m) => [m.id, m.name]));
  // Lineage checkpoints store their parents by id only; the shardlet rows still name them.
  const lineage = await listShardletLineage(db, [...new Set(checkpoints.filter((c) => c.trigger === "lineage").map((c) => c.shardletId))]);
  const parentsOf = new Map(lineage.map((l) => [l.id, [l.parentId, l.mergedFromId].filter((p): p is string => p !== null)]));
  const ranges = new Map(
    (
      await listShardletRanges(db, [
        ...state.assignments.map((a) => a.shardletId),
        ...checkpoints.map((c) => c.shardletId),
        ...[...parentsOf.values()].flat(),
        ...events.flatMap((e) => e.shardletIds.slice(0, EVENT_SHARDLETS)),
      ])
    ).map((r) => [r.id, rangeView(r.lo, r.hi)]),
  );
  const rangeOf = (id: string) => ranges.get(id) ?? null;
  const weights = weightsOf(new Map(state.members.map((m) => [m.id, m.capacity])));
  const ref = (id: string): ShardletRef => ({ id, range: rangeOf(id) });
  return {
    stream: stream.name,
    group: g.name,
    generation: state.group.generation,
    startSeq: g.startSeq,
    expiredUnread: { events: expired.get(g.id)?.events ?? 0, lastAt: expired.get(g.id)?.at ?? null },
    reads,
    members: state.members.map((m) => ({
      id: m.id,
      name: m.name,
      joinedAt: new Date(m.joinedAt),
      lastSeenAt: new Date(m.lastSeenAt),
      sessionTimeoutMs: m.sessionTimeoutMs,
      shardlets: state.assignments.filter((a) => a.memberId === m.id).length,
      lagEvents: state.assignments.filter((a) => a.memberId === m.id).reduce((n, a) => n + (a.lagEvents ?? 0), 0),
      telemetry:
        m.telemetry && m.telemetryAt !== null
          ? {
              cpu: m.telemetry.cpu,
              rssBytes: m.telemetry.rssBytes,
              heapUsedBytes: m.telemetry.heapUsedBytes,
              loopLagMs: m.telemetry.loopLagMs,
              eventsPerSec: processingRate(m.telemetry),
              sampleEvents: m.telemetry.events,
              at: new Date(m.telemetryAt),
            }
          : null,
      weight: weights.get(m.id) ?? 1,
    })),
    assignments: state.assignments.map((a) => ({
      shardletId: a.shardletId,
      range: rangeOf(a.shardletId),
      memberId: a.memberId,
      memberName: a.memberId ? (nameOf.get(a.memberId) ?? null) : null,
      generation: a.generation,
      handoffTo: a.nextMemberId ? (nameOf.get(a.nextMemberId) ?? a.nextMemberId) : null,
      handoffDeadline: a.nextMemberId && a.handoffDeadline !== null ? new Date(a.handoffDeadline) : null,
      committedSeq: a.committedSeq,
      checkpointSeq: durable.get(a.shardletId)?.position ?? null,
      checkpointAt: durable.has(a.shardletId) ? new Date(durable.get(a.shardletId)!.at) : null,
      lagEvents: a.lagEvents,
      lagSeconds: a.lagSeconds,
      lagAt: a.lagAt === null ? null : new Date(a.lagAt),
    })),
    checkpoints: checkpoints.map((c) => ({
      id: c.id,
      shardletId: c.shardletId,
      range: rangeOf(c.shardletId),
      position: c.position,
      trigger: c.trigger,
      reason: c.reason,
      eventsSince: c.eventsSince,
      predictedReplaySec: c.predictedReplaySec,
      handedOnFrom: c.trigger === "lineage" ? (parentsOf.get(c.shardletId) ?? []).map(ref) : [],
      at: new Date(c.at),
    })),
    events: events.map((e) => ({
      id: e.id,
      kind: e.kind,
      memberName: e.memberId ? (nameOf.get(e.memberId) ?? null) : null,
      shardlets: e.shardletIds.length,
      shardletRefs: e.shardletIds.slice(0, EVENT_SHARDLETS).map(ref),
      detail: e.detail,
      at: new Date(e.at),
    })),
  };
}
