import { z } from "zod";
import { ShardcastError, redactSecrets, streamNameSchema } from "@shardcast/core";
import { getStreamByName, getStreamRetention, listHosts, listShardlets, listShards } from "@shardcast/db";
import { viewerProcedure } from "../../trpc.ts";
import { fullness, rangeSchema, rangeView } from "../shared.ts";

export const getStreamInput = z.object({
  name: streamNameSchema,
  eventLimit: z.number().int().min(1).max(200).default(50),
});

const shardletSchema = z.object({
  id: z.string(),
  shardId: z.string(),
  hostId: z.string(),
  hostName: z.string(),
  range: rangeSchema,
  state: z.string(),
  epoch: z.number(),
  sizeBytes: z.number(),
  capacityBytes: z.number(),
  fullness: z.number(),
  eventCount: z.number(),
  writeRate: z.number(),
});

const eventSchema = z.object({
  seq: z.number(),
  shardletId: z.string(),
  key: z.string(),
  id: z.string().nullable(),
  type: z.string().nullable(),
  ts: z.number(),
  /** The payload as JSON text, cut to a preview length. */
  payload: z.string(),
});

export const getStreamOutput = z.object({
  stream: z.object({
    id: z.string(),
    name: z.string(),
    keyField: z.string(),
    retentionHours: z.number(),
    /** The size cap (null: none). */
    retentionBytes: z.number().nullable(),
    shardCount: z.number(),
    createdAt: z.date(),
  }),
  /** What retention keeps of the stream (recorded by retention.enforce). */
  retention: z.object({
    /** First stored position: events below it expired (0: none yet). */
    startSeq: z.number(),
    /** Stored time of the oldest event kept (null: not measured yet). */
    oldestEventAt: z.date().nullable(),
    /** Bytes and events of the stream freed so far by dropped partitions. */
    freedBytes: z.number(),
    freedEvents: z.number(),
  }),
  shards: z.array(
    z.object({
      id: z.string(),
      index: z.number(),
      range: rangeSchema,
      homeHostId: z.string(),
      homeHostName: z.string(),
      shardletCount: z.number(),
      eventCount: z.number(),
    }),
  ),
  shardlets: z.array(shardletSchema),
  recentEvents: z.array(eventSchema),
  /** Hosts whose recent events could not be read (the rest are still shown). */
  eventErrors: z.array(z.object({ hostId: z.string(), hostName: z.string(), message: z.string() })),
  edgeUrl: z.string(),
});

const PAYLOAD_PREVIEW_CHARS = 300;

function preview(payload: unknown): string {
  const text = JSON.stringify(payload ?? null) ?? "null";
  return text.length > PAYLOAD_PREVIEW_CHARS ? text.slice(0, PAYLOAD_PREVIEW_CHARS) + "…" : text;
}

export const get = viewerProcedure
  .input(getStreamInput)
  .output(getStreamOutput)
  .query(async ({ ctx, input }) => {
    const stream = await getStreamByName(ctx.db, input.name);
    if (!stream) throw new ShardcastError("not_found", `Stream "${input.name}" does not exist.`);
    const [shardletRows, shardRows, hosts, retention] = await Promise.all([
      listShardlets(ctx.db, { streamId: stream.id }),
      listShards(ctx.db, stream.id),
      listHosts(ctx.db),
      getStreamRetention(ctx.db, stream.id),
    ]);
    const hostName = new Map(hosts.map((h) => [h.id, h.name]));
    const live = [...shardletRows].sort((a, b) => a.lo - b.lo);

    const shardlets = live.map((s) => ({
      id: s.id,
      shardId: s.shardId,
      hostId: s.hostId,
      hostName: hostName.get(s.hostId) ?? s.hostId,
      range: rangeView(s.lo, s.hi),
      state: s.state,
      epoch: s.epoch,
      sizeBytes: s.sizeBytes,
      capacityBytes: s.capacityBytes,
      fullness: fullness(s.sizeBytes, s.capacityBytes),
      eventCount: s.eventCount,
      writeRate: s.writeRate,
    }));

    const shards = shardRows
      .map((shard) => {
        const mine = live.filter((s) => s.shardId === shard.id);
        return {
          id: shard.id,
          index: shard.index,
          range: rangeView(shard.lo, shard.hi),
          homeHostId: shard.homeHostId,
          homeHostName: hostName.get(shard.homeHostId) ?? shard.homeHostId,
          // Sealed shardlets (hand-offs' history) take none of the shard's writes: not counted as its shardlets.
          shardletCount: mine.filter((s) => s.state !== "sealed").length,
          eventCount: mine.reduce((sum, s) => sum + s.eventCount, 0),
        };
      })
      .sort((a, b) => a.index - b.index);

    // Recent events live on the storage hosts: ask every host that holds a shardlet of the stream.
    const hostIds = [...new Set(live.map((s) => s.hostId))];
    const reads = await Promise.allSettled(
      hostIds.map(async (hostId) => (await ctx.hosts.get(hostId)).recentEvents(stream.id, input.eventLimit)),
    );
    const events: z.infer<typeof eventSchema>[] = [];
    const eventErrors: Array<{ hostId: string; hostName: string; message: string }> = [];
    reads.forEach((result, i) => {
      const hostId = hostIds[i]!;
      if (result.status === "fulfilled") {
        for (const e of result.value) {
          events.push({ seq: e.seq, shardletId: e.shardletId, key: e.key, id: e.id, type: e.type, ts: e.ts, payload: preview(e.payload) });
        }
      } else {
        const message = result.reason instanceof Error ? redactSecrets(result.reason.message) : "host did not answer";
        ctx.log.warn("recent events read failed", { hostId, error: result.reason });
        eventErrors.push({ hostId, hostName: hostName.get(hostId) ?? hostId, message });
      }
    });
    events.sort((a, b) => b.seq - a.seq);

    return {
      stream: {
        id: stream.id,
        name: stream.name,
        keyField: stream.keyField,
        retentionHours: stream.retentionHours,
        retentionBytes: stream.retentionBytes,
        shardCount: stream.shardCount,
        createdAt: stream.createdAt,
      },
      retention: {
        startSeq: retention?.startSeq ?? 0,
        oldestEventAt: retention?.oldestEventAt ?? null,
        freedBytes: retention?.freedBytes ?? 0,
        freedEvents: retention?.freedEvents ?? 0,
      },
      shards,
      shardlets,
      recentEvents: events.slice(0, input.eventLimit),
      eventErrors,
      edgeUrl: ctx.edgeUrl,
    };
  });
