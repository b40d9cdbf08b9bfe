import { ShardcastError } from "@shardcast/core";
import type { ControlDb } from "../client.ts";

export interface DeletedConsumerGroup {
  groupId: string;
  /** Every member the group had, live or not (their snapshot requests live in Redis under their ids). */
  memberIds: string[];
  /** Members whose session had not expired: they learn at their next request that they are gone. */
  liveMembers: string[];
  shardlets: number;
  checkpoints: number;
}

/**
 * Deletes a group with everything the control database keeps of it: members, assignments, durable
 * checkpoints, the checkpoint log and the group's event log (the operations log keeps the record
 * of the deletion). Members still live would just join again and create a new group from its
 * start, so a group with live members is refused (`conflict`, nothing deleted) unless `force`.
 * Taken under the group's row lock, as reconciles and checkpoint writes are: one already waiting
 * finds the group gone and does nothing. The caller drops the group's Redis keys afterwards.
 */
export async function deleteConsumerGroup(db: ControlDb, q: { streamId: string; name: string; now: number; force: boolean }): Promise<DeletedConsumerGroup> {
  return db.$transaction(async (tx) => {
    const locked = await tx.$queryRaw<Array<{ id: string }>>`SELECT id FROM consumer_groups WHERE stream_id = ${q.streamId} AND name = ${q.name} FOR UPDATE`;
    const groupId = locked[0]?.id;
    if (!groupId) throw new ShardcastError("not_found", `unknown consumer group "${q.name}"`);
    const members = await tx.consumerMember.findMany({ where: { groupId }, select: { id: true, name: true, lastSeenAt: true, sessionTimeoutMs: true } });
    const live = members.filter((m) => m.lastSeenAt.getTime() + m.sessionTimeoutMs >= q.now);
    if (live.length > 0 && !q.force) {
      const names = live.map((m) => m.name).join(", ");
      throw new ShardcastError(
        "conflict",
        `consumer group "${q.name}" has ${live.length} live member${live.length === 1 ? "" : "s"} (${names}): stop them first, or delete it anyway (members that keep running join again and create a new group)`,
        { liveMembers: live.length },
      );
    }
    const shardlets = await tx.consumerAssignment.count({ where: { groupId } });
    const checkpoints = await tx.consumerCheckpoint.deleteMany({ where: { groupId } });
    await tx.consumerCheckpointLog.deleteMany({ where: { groupId } });
    await tx.consumerGroupEvent.deleteMany({ where: { groupId } });
    // Members and assignments go with the group (on delete cascade).
    await tx.consumerGroup.delete({ where: { id: groupId } });
    return { groupId, memberIds: members.map((m) => m.id), liveMembers: live.map((m) => m.name), shardlets, checkpoints: checkpoints.count };
  });
}
