import { z } from "zod";
import { ShardcastError, streamNameSchema } from "@shardcast/core";
import { getStreamByName } from "@shardcast/db";
import { streamHistory } from "../../services/sealed-history.ts";
import { viewerProcedure } from "../../trpc.ts";
import { historyTotalsSchema, rangeSchema, rangeView } from "../shared.ts";

export const streamHistoryInput = z.object({ name: streamNameSchema });

export const streamHistoryOutput = z.object({
  /** Sealed history expires this long after its hand-off sealed it. */
  retentionHours: z.number(),
  /** All of the stream's sealed history (null: none). */
  totals: historyTotalsSchema.nullable(),
  /** The hosts holding some of it. */
  hosts: z.array(
    z.object({ hostId: z.string(), hostName: z.string(), shardlets: z.number(), sizeBytes: z.number(), eventCount: z.number(), lastExpiresAt: z.date() }),
  ),
  /** Every sealed shardlet, oldest seal first. */
  sealed: z.array(
    z.object({
      id: z.string(),
      hostId: z.string(),
      hostName: z.string(),
      range: rangeSchema,
      sizeBytes: z.number(),
      eventCount: z.number(),
      sealedAt: z.date(),
      expiresAt: z.date(),
    }),
  ),
});

/**
 * What hand-offs left of a stream: sealed shardlets whose history stays readable on the hosts that
 * wrote it until the stream's retention has passed since each seal.
 */
export const history = viewerProcedure
  .input(streamHistoryInput)
  .output(streamHistoryOutput)
  .query(async ({ ctx, input }) => {
    const stream = await getStreamByName(ctx.db, input.name);
    if (!stream) throw new ShardcastError("not_found", `Stream "${input.name}" does not exist.`);
    const h = await streamHistory(ctx.db, stream.id);
    return {
      retentionHours: stream.retentionHours,
      totals: h.totals,
      hosts: h.hosts,
      sealed: h.sealed.map((s) => ({
        id: s.id,
        hostId: s.hostId,
        hostName: s.hostName,
        range: rangeView(s.lo, s.hi),
        sizeBytes: s.sizeBytes,
        eventCount: s.eventCount,
        sealedAt: s.sealedAt,
        expiresAt: s.expiresAt,
      })),
    };
  });
