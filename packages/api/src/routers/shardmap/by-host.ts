import { z } from "zod";
import { listHosts, listShardlets, listStreams } from "@shardcast/db";
import { viewerProcedure } from "../../trpc.ts";
import { fullness, rangeSchema, rangeView } from "../shared.ts";

export const byHostInput = z
  .object({
    /** Only this stream's shardlets. */
    streamId: z.string().optional(),
    includeRetired: z.boolean().default(false),
  })
  .default({ includeRetired: false });

const mapShardletSchema = z.object({
  id: z.string(),
  streamId: z.string(),
  streamName: z.string(),
  shardId: z.string(),
  range: rangeSchema,
  state: z.string(),
  epoch: z.number(),
  sizeBytes: z.number(),
  capacityBytes: z.number(),
  fullness: z.number(),
  eventCount: z.number(),
  writeRate: z.number(),
});

export const byHostOutput = z.object({
  hosts: z.array(
    z.object({
      id: z.string(),
      name: z.string(),
      status: z.string(),
      capacityBytes: z.number(),
      sizeBytes: z.number(),
      shardletBytes: z.number(),
      eventCount: z.number(),
      shardlets: z.array(mapShardletSchema),
    }),
  ),
});

export const byHost = viewerProcedure
  .input(byHostInput)
  .output(byHostOutput)
  .query(async ({ ctx, input }) => {
    const [hosts, streams, shardlets] = await Promise.all([
      listHosts(ctx.db),
      listStreams(ctx.db),
      listShardlets(ctx.db, { includeRetired: input.includeRetired, ...(input.streamId ? { streamId: input.streamId } : {}) }),
    ]);
    const streamName = new Map(streams.map((s) => [s.id, s.name]));
    const byHostId = new Map<string, z.infer<typeof mapShardletSchema>[]>();
    for (const s of shardlets) {
      const list = byHostId.get(s.hostId) ?? [];
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
      });
      byHostId.set(s.hostId, list);
    }
    return {
      hosts: hosts.map((h) => {
        const list = (byHostId.get(h.id) ?? []).sort(
          (a, b) => a.streamName.localeCompare(b.streamName) || a.range.lo - b.range.lo,
        );
        return {
          id: h.id,
          name: h.name,
          status: h.status,
          capacityBytes: h.capacityBytes,
          sizeBytes: h.sizeBytes,
          shardletBytes: list.reduce((sum, s) => sum + s.sizeBytes, 0),
          eventCount: list.reduce((sum, s) => sum + s.eventCount, 0),
          shardlets: list,
        };
      }),
    };
  });
