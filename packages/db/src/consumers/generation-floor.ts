import type { ControlDb } from "../client.ts";
import { sqlOf } from "../sql.ts";
import { logGroupEvents } from "./groups.ts";

export interface FloorRaised {
  /** The group's generation counter after the raise. */
  generation: number;
  /** Shardlets re-taken by their holders, with their new generations. */
  shardlets: Array<{ shardletId: string; memberId: string; from: number; generation: number }>;
}

/**
 * Lifts a group's generations above fences left in Redis by generations the control database no
 * longer remembers (it was restored from a backup while Redis kept its keys). A holder's read
 * raises a shardlet's fence to the generation the database gave it, and a shardlet's generation
 * only grows, so in the database's own history a fence never exceeds the shardlet's current
 * generation: one that does can only come from before such a restore. Left alone, it would
 * refuse the rightful holder's commits until enough reassignments caught up, and the group would
 * be delivered the same events again and again.
 *
 * `fences` are the Redis fences of the group's held shardlets, read before this call (a fence read
 * earlier is never above what the database had handed out by then, so comparing it under the lock
 * with the current generation stays sound). Under the group's row lock (as reconciles take it),
 * every held shardlet below its fence is re-taken by the same member at a generation above every
 * such fence and the counter, in one raise: lifting one at a time would raise the counter past the
 * other fences first. Cursors are not touched: each holder picks up its new generation at its next
 * poll and continues from its committed cursor. `noticedBy` is the member whose refused commit
 * showed it (for the group's log).
 */
export async function raiseGenerationFloor(db: ControlDb, groupId: string, fences: ReadonlyMap<string, number>, noticedBy: string): Promise<FloorRaised | null> {
  if (fences.size === 0) return null;
  return db.$transaction(
    async (tx) => {
      const locked = await tx.$queryRaw<Array<{ generation: number }>>`SELECT generation FROM consumer_groups WHERE id = ${groupId} FOR UPDATE`;
      const counter = locked[0]?.generation;
      if (counter === undefined) return null;
      const rows = await tx.consumerAssignment.findMany({
        where: { groupId, memberId: { not: null }, shardletId: { in: [...fences.keys()] } },
        orderBy: { shardletId: "asc" },
      });
      const fenceOf = (shardletId: string) => fences.get(shardletId) ?? 0;
      const behind = rows.filter((r) => fenceOf(r.shardletId) > r.generation);
      if (behind.length === 0) return null;
      const highest = Math.max(...behind.map((r) => fenceOf(r.shardletId)));
      let gen = Math.max(counter, highest);
      const shardlets: FloorRaised["shardlets"] = [];
      for (const r of behind) {
        await tx.consumerAssignment.update({ where: { groupId_shardletId: { groupId, shardletId: r.shardletId } }, data: { generation: ++gen } });
        shardlets.push({ shardletId: r.shardletId, memberId: r.memberId!, from: r.generation, generation: gen });
      }
      await tx.consumerGroup.update({ where: { id: groupId }, data: { generation: gen } });
      const members = new Set(shardlets.map((s) => s.memberId)).size;
      await logGroupEvents(sqlOf(tx), [
        {
          groupId,
          kind: "generation_floor",
          memberId: noticedBy,
          shardletIds: shardlets.map((s) => s.shardletId),
          detail:
            `commit fences up to ${highest} are above the generations the control database gave (it went back, e.g. a restore; the group's counter was ${counter}): ` +
            `generation raised to ${gen}, ${shardlets.length} shardlet(s) re-taken by their ${members === 1 ? "holder" : `${members} holders`}`,
        },
      ]);
      return { generation: gen, shardlets };
    },
    { timeout: 15_000, maxWait: 10_000 },
  );
}
