import { z } from "zod";
import { isRoutedState, SHARDLET_STATES } from "@shardcast/core";
import { getLifecycleSettings, listHosts, listReplicas, listSealedShardlets, listStreams, type ReplicaInfo } from "@shardcast/db";
import { readArchivedShardlets, type ArchivedShardlets } from "@shardcast/runtime";
import { viewerProcedure } from "../../trpc.ts";
import { listMapShardlets, mergeableRightNeighbours, type LineageRef } from "../../services/map-shardlets.ts";
import { groupSealed, historyElsewhere, historyTotals } from "../../services/sealed-history.ts";
import { fullness, historyElsewhereSchema, historyTotalsSchema, idString, rangeSchema, rangeView } from "../shared.ts";

export const byHostInput = z
  .object({
    /** Only this stream's shardlets. */
    streamId: idString().optional(),
    includeRetired: z.boolean().default(false),
  })
  .default({ includeRetired: false });

const lineageRefSchema = z.object({ id: z.string(), range: rangeSchema.nullable() });

const mapShardletSchema = z.object({
  id: z.string(),
  streamId: z.string(),
  streamName: z.string(),
  shardId: z.string(),
  range: rangeSchema,
  state: z.enum(SHARDLET_STATES),
  epoch: z.number(),
  sizeBytes: z.number(),
  capacityBytes: z.number(),
  fullness: z.number(),
  eventCount: z.number(),
  writeRate: z.number(),
  /** Events that reached this shardlet through its shard's overflow log. */
  fallbackCount: z.number(),
  /** How the shardlet came to be: a split of one parent, a merge of two, or the stream's layout. */
  lineage: z.discriminatedUnion("kind", [
    z.object({ kind: z.literal("initial") }),
    z.object({ kind: z.literal("split"), parent: lineageRefSchema }),
    z.object({ kind: z.literal("merge"), left: lineageRefSchema, right: lineageRefSchema }),
  ]),
  /** Rows whose payloads are in the host's cold archive, as the last placement run measured them (null: none). */
  archived: z.object({ events: z.number(), bytes: z.number() }).nullable(),
  /** Read replicas of the shardlet's range on other hosts (empty: none). */
  replicas: z.array(z.object({ id: z.string(), hostId: z.string(), hostName: z.string(), state: z.enum(["ready", "dropping"]), verifiedSeq: z.number() })),
  /** The right-hand neighbour this shardlet may merge with now (adjacent, same shard and host), or null. */
  mergeRightId: z.string().nullable(),
  /**
   * A sealed shardlet (handed off: no writes, its history stays readable here): when it was sealed
   * and when the last of its history expires (the stream's retention after the seal). Null otherwise.
   */
  sealed: z.object({ sealedAt: z.date(), expiresAt: z.date() }).nullable(),
  /** Other hosts holding sealed history of a live shardlet's range (readers read them too); empty when none. */
  historyElsewhere: z.array(historyElsewhereSchema),
  createdAt: z.date(),
  retiredAt: z.date().nullable(),
});

export const byHostOutput = z.object({
  /** Fullness past which the manager splits (bars turn red there). */
  splitThreshold: z.number(),
  hosts: z.array(
    z.object({
      id: z.string(),
      name: z.string(),
      status: z.string(),
      capacityBytes: z.number(),
      sizeBytes: z.number(),
      /** Shardlets that take writes (sealed, pending and retired ones not counted). */
      liveShardlets: z.number(),
      /** Event data and events of the live shardlets. */
      shardletBytes: z.number(),
      eventCount: z.number(),
      /** Sealed history the host still holds for other hosts' shardlets (null: none). */
      history: historyTotalsSchema.nullable(),
      shardlets: z.array(mapShardletSchema),
    }),
  ),
});

function sealedOf(id: string, sealedById: ReadonlyMap<string, { sealedAt: Date; expiresAt: Date }>) {
  const s = sealedById.get(id);
  return s ? { sealedAt: s.sealedAt, expiresAt: s.expiresAt } : null;
}

function ref(id: string, parents: Map<string, LineageRef>) {
  const p = parents.get(id);
  return { id, range: p ? rangeView(p.lo, p.hi) : null };
}

export const byHost = viewerProcedure
  .input(byHostInput)
  .output(byHostOutput)
  .query(async ({ ctx, input }) => {
    const [hosts, streams, map, settings, archived, replicas, sealed] = await Promise.all([
      listHosts(ctx.db),
      listStreams(ctx.db),
      listMapShardlets(ctx.db, { includeRetired: input.includeRetired, ...(input.streamId ? { streamId: input.streamId } : {}) }),
      getLifecycleSettings(ctx.db),
      // The map still draws without Redis: the archive marks are what it lacks then.
      readArchivedShardlets(ctx.redis, ctx.redisPrefix).catch((): ArchivedShardlets => ({})),
      listReplicas(ctx.db, input.streamId ? { streamId: input.streamId } : {}),
      listSealedShardlets(ctx.db, input.streamId ? { streamId: input.streamId } : {}),
    ]);
    const streamName = new Map(streams.map((s) => [s.id, s.name]));
    const hostName = new Map(hosts.map((h) => [h.id, h.name]));
    const replicasOf = new Map<string, ReplicaInfo[]>();
    for (const r of replicas) replicasOf.set(r.shardletId, [...(replicasOf.get(r.shardletId) ?? []), r]);
    const mergeRight = mergeableRightNeighbours(map.shardlets);
    const sealedById = new Map(sealed.map((s) => [s.id, s]));
    const sealedOfStream = groupSealed(sealed, "streamId");
    const sealedOnHost = groupSealed(sealed, "hostId");
    const byHostId = new Map<string, z.infer<typeof mapShardletSchema>[]>();
    for (const s of map.shardlets) {
      const list = byHostId.get(s.hostId) ?? [];
      const lineage: z.infer<typeof mapShardletSchema>["lineage"] =
        s.parentId && s.mergedFromId
          ? { kind: "merge", left: ref(s.parentId, map.parents), right: ref(s.mergedFromId, map.parents) }
          : s.parentId
            ? { kind: "split", parent: ref(s.parentId, map.parents) }
            : { kind: "initial" };
      list.push({
        id: s.id,
        streamId: s.streamId,
        streamName: streamName.get(s.streamId) ?? s.streamId,
        shardId: s.shardId,
        range: rangeView(s.lo, s.hi),
        state: s.state,
        epoch: s.epoch,
        sizeBytes: s.sizeBytes,
        capacityBytes: s.capacityBytes,
        fullness: fullness(s.sizeBytes, s.capacityBytes),
        eventCount: s.eventCount,
        writeRate: s.writeRate,
        fallbackCount: s.fallbackCount,
        lineage,
        archived: archived[s.id] ?? null,
        replicas: (replicasOf.get(s.id) ?? []).map((r) => ({ id: r.id, hostId: r.hostId, hostName: hostName.get(r.hostId) ?? r.hostId, state: r.state, verifiedSeq: r.verifiedSeq })),
        mergeRightId: mergeRight.get(s.id) ?? null,
        sealed: sealedOf(s.id, sealedById),
        historyElsewhere: isRoutedState(s.state)
          ? historyElsewhere(s, sealedOfStream.get(s.streamId) ?? []).map((x) => ({ ...x, hostName: hostName.get(x.hostId) ?? x.hostId }))
          : [],
        createdAt: s.createdAt,
        retiredAt: s.retiredAt,
      });
      byHostId.set(s.hostId, list);
    }
    return {
      splitThreshold: settings.splitThreshold,
      hosts: hosts.map((h) => {
        const list = (byHostId.get(h.id) ?? []).sort(
          (a, b) => a.streamName.localeCompare(b.streamName) || a.range.lo - b.range.lo || a.createdAt.getTime() - b.createdAt.getTime(),
        );
        const live = list.filter((s) => isRoutedState(s.state));
        return {
          id: h.id,
          name: h.name,
          status: h.status,
          capacityBytes: h.capacityBytes,
          sizeBytes: h.sizeBytes,
          liveShardlets: live.length,
          shardletBytes: live.reduce((sum, s) => sum + s.sizeBytes, 0),
          eventCount: live.reduce((sum, s) => sum + s.eventCount, 0),
          history: historyTotals(sealedOnHost.get(h.id) ?? []),
          shardlets: list,
        };
      }),
    };
  });
