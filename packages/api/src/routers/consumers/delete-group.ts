import { z } from "zod";
import { consumerNameSchema, streamNameSchema } from "@shardcast/core";
import { deleteConsumerGroup } from "@shardcast/db";
import { ConsumerProgress } from "@shardcast/runtime";
import { audit } from "../../audit.ts";
import { operatorProcedure } from "../../trpc.ts";
import { streamFor } from "../../services/consumer-views.ts";

export const deleteGroupInput = z.object({
  stream: streamNameSchema,
  group: consumerNameSchema,
  /** Delete even while members are live (they learn at their next request that they are gone). */
  force: z.boolean().default(false),
});
export const deleteGroupOutput = z.object({ group: z.string(), members: z.number(), liveMembers: z.number(), shardlets: z.number(), checkpoints: z.number() });

/**
 * Deletes a consumer group: its members, assignments and checkpoints in the control database, its
 * cursors, fences and counters in Redis. Refused (409) while members are live, unless forced.
 */
export const deleteGroup = operatorProcedure
  .input(deleteGroupInput)
  .output(deleteGroupOutput)
  .mutation(async ({ ctx, input }) => {
    const stream = await streamFor(ctx.db, input.stream);
    const gone = await deleteConsumerGroup(ctx.db, { streamId: stream.id, name: input.group, now: Date.now(), force: input.force });
    let redisCleared = true;
    try {
      await new ConsumerProgress(ctx.redis, ctx.redisPrefix).dropGroup(gone.groupId, gone.memberIds);
    } catch (err) {
      // The group is gone and its id is never used again: what stays in Redis is only memory.
      redisCleared = false;
      ctx.log.warn("a deleted consumer group's Redis keys were not dropped", { groupId: gone.groupId, error: err });
    }
    const forced = gone.liveMembers.length > 0 ? `, with ${gone.liveMembers.length} live member${gone.liveMembers.length === 1 ? "" : "s"} (${gone.liveMembers.join(", ")})` : "";
    await audit(ctx, {
      kind: "consumer.group.delete",
      message: `deleted consumer group ${input.group} of stream ${stream.name}${forced}`.slice(0, 1000),
      streamId: stream.id,
      details: { groupId: gone.groupId, members: gone.memberIds.length, liveMembers: gone.liveMembers, shardlets: gone.shardlets, checkpoints: gone.checkpoints, redisCleared },
    });
    return { group: input.group, members: gone.memberIds.length, liveMembers: gone.liveMembers.length, shardlets: gone.shardlets, checkpoints: gone.checkpoints };
  });
