import type { ControlDb } from "../client.ts";
import { logGroupEvents } from "./groups.ts";

export interface FloorRaised {
  /** The group's generation counter after the raise. */
  generation: number;
  /** Shardlets re-taken by the member, with their new generations. */
  shardlets: Array<{ shardletId: string; from: number; generation: number }>;
}

/**
 * Lifts a group's generations above fences left in Redis by generations the control database no
 * longer remembers (it was restored from a backup while Redis kept its keys). Every generation is
 * taken from the group's counter, so a fence above the counter can only come from before such a
 * restore; left alone, it would refuse the rightful holder's commits until enough reassignments
 * caught up, and the group would be delivered the same events again and again.
 *
 * `fences` are the Redis fences of shardlets whose commits by `memberId` were just refused. Under
 * the group's row lock (as reconciles take it), each shardlet the member still holds below its
 * fence, whose fence is also above the counter, is re-taken by the same member at a generation
 * above both. A fence at or below the counter is an ordinary late commit: nothing changes. The
 * holder keeps its shardlets and its cursors are not touched: it picks up the new generation at
 * its next poll and continues from its committed cursor.
 */
export async function raiseGenerationFloor(db: ControlDb, groupId: string, memberId: string, fences: ReadonlyMap<string, number>): Promise<FloorRaised | null> {
  if (fences.size === 0) return null;
  return db.$transaction(
    async (tx) => {
      const locked = await tx.$queryRaw<Array<{ generation: number }>>`SELECT generation FROM consumer_groups WHERE id = ${groupId} FOR UPDATE`;
      const counter = locked[0]?.generation;
      if (counter === undefined) return null;
      const rows = await tx.consumerAssignment.findMany({ where: { groupId, memberId, shardletId: { in: [...fences.keys()] } }, orderBy: { shardletId: "asc" } });
      const behind = rows.filter((r) => {
        const fence = fences.get(r.shardletId)!;
        return fence > r.generation && fence > counter;
      });
      if (behind.length === 0) return null;
      // Above every fence seen, so no shardlet's new generation is refused by its own fence.
      let gen = Math.max(counter, ...behind.map((r) => fences.get(r.shardletId)!));
      const shardlets: FloorRaised["shardlets"] = [];
      for (const r of behind) {
        await tx.consumerAssignment.update({ where: { groupId_shardletId: { groupId, shardletId: r.shardletId } }, data: { generation: ++gen } });
        shardlets.push({ shardletId: r.shardletId, from: r.generation, generation: gen });
      }
      await tx.consumerGroup.update({ where: { id: groupId }, data: { generation: gen } });
      const highest = Math.max(...behind.map((r) => fences.get(r.shardletId)!));
      await logGroupEvents(tx, [
        {
          groupId,
          kind: "generation_floor",
          memberId,
          shardletIds: shardlets.map((s) => s.shardletId),
          detail:
            `commit fence ${highest} is above the group's generation ${counter} (the control database went back, e.g. a restore): ` +
            `generation raised to ${gen}, ${shardlets.length} shardlet(s) re-taken by the same member`,
        },
      ]);
      return { generation: gen, shardlets };
    },
    { timeout: 15_000, maxWait: 10_000 },
  );
}
