import { z } from "zod";
import { MAX_INITIAL_SHARDLETS_PER_SHARD, MAX_SHARDS_PER_STREAM, retentionBytesSchema, retentionHoursSchema, streamNameSchema } from "@shardcast/core";
import { createStream, getLifecycleSettings } from "@shardcast/db";
import { publishRoutingChange } from "@shardcast/runtime";
import { audit } from "../../audit.ts";
import { operatorProcedure } from "../../trpc.ts";

export const createStreamInput = z.object({
  name: streamNameSchema,
  shardCount: z
    .number({ error: "shard count must be a number" })
    .int("shard count must be a whole number")
    .min(1, "shard count must be at least 1")
    .max(MAX_SHARDS_PER_STREAM, `shard count must be at most ${MAX_SHARDS_PER_STREAM}`),
  shardletsPerShard: z
    .number({ error: "shardlets per shard must be a number" })
    .int("shardlets per shard must be a whole number")
    .min(1, "shardlets per shard must be at least 1")
    .max(MAX_INITIAL_SHARDLETS_PER_SHARD, `shardlets per shard must be at most ${MAX_INITIAL_SHARDLETS_PER_SHARD}`)
    .optional(),
  keyField: z
    .string()
    .trim()
    .min(1, "key field is empty")
    .max(64, "key field is longer than 64 characters")
    .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, "key field must be a payload field name (letters, digits, '_')")
    .optional(),
  retentionHours: retentionHoursSchema.optional(),
  /** Optional size cap: past it the stream's oldest events are forgotten first. */
  retentionBytes: retentionBytesSchema.nullable().optional(),
});
export const createStreamOutput = z.object({ id: z.string(), name: z.string() });

export const create = operatorProcedure
  .input(createStreamInput)
  .output(createStreamOutput)
  .mutation(async ({ ctx, input }) => {
    // New shardlets start at the configured initial capacity (lifecycle settings).
    const settings = await getLifecycleSettings(ctx.db);
    const stream = await createStream(ctx.db, ctx.hosts, { ...input, capacityBytes: settings.initialCapacityBytes });
    try {
      await publishRoutingChange(ctx.redis, ctx.redisPrefix, stream.id);
    } catch (err) {
      // The stream exists either way; edges load unknown streams on first use.
      ctx.log.warn("routing change not published", { streamId: stream.id, error: err });
    }
    await audit(ctx, {
      kind: "stream.create",
      message: `created stream ${stream.name} with ${stream.shardCount} shards`,
      streamId: stream.id,
      details: {
        shardletsPerShard: input.shardletsPerShard ?? null,
        keyField: stream.keyField,
        capacityBytes: settings.initialCapacityBytes,
        retentionHours: stream.retentionHours,
        retentionBytes: stream.retentionBytes,
      },
    });
    return { id: stream.id, name: stream.name };
  });
