import { deleteConsumerGroup } from "@shardcast/db";
import { ConsumerProgress } from "@shardcast/runtime";
import { audit } from "../audit.ts";
import type { ApiContext, SessionUser } from "../context.ts";
import { streamFor } from "./consumer-views.ts";

type DeleteContext = Pick<ApiContext, "db" | "redis" | "redisPrefix" | "log"> & { user: SessionUser };

/**
 * Deletes a consumer group: its members, assignments and checkpoints in the control database, its
 * cursors, fences and counters in Redis. Refused (409) while members are live, unless forced.
 */
export async function deleteGroupEverywhere(ctx: DeleteContext, input: { stream: string; group: string; force: boolean }) {
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
}
