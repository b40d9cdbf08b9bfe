import { cursorPosition, cursorSchema, type Cursor } from "@shardcast/core";
import type { ControlDb } from "../client.ts";
import { num } from "../errors.ts";

export interface DurableCheckpoint {
  groupId: string;
  shardletId: string;
  cursor: Cursor;
  position: number;
  at: number;
}

export interface CheckpointWrite {
  shardletId: string;
  cursor: Cursor;
  trigger: string;
  reason: string;
  eventsSince: number;
  predictedReplaySec: number;
}

export interface CheckpointLogEntry {
  id: number;
  groupId: string;
  shardletId: string;
  position: number;
  trigger: string;
  reason: string;
  eventsSince: number;
  predictedReplaySec: number;
  at: number;
}

type Tx = Pick<ControlDb, "consumerCheckpoint" | "consumerCheckpointLog">;

function parse(row: { groupId: string; shardletId: string; cursor: unknown; position: bigint; at: Date }): DurableCheckpoint | null {
  const c = cursorSchema.safeParse(row.cursor);
  if (!c.success) return null;
  return { groupId: row.groupId, shardletId: row.shardletId, cursor: c.data, position: num(row.position), at: row.at.getTime() };
}

/** Durable checkpoints of a group by shardlet (all of them when `shardletIds` is omitted). */
export async function getDurableCheckpoints(db: ControlDb, groupId: string, shardletIds?: readonly string[]): Promise<Map<string, DurableCheckpoint>> {
  const rows = await db.consumerCheckpoint.findMany({ where: { groupId, ...(shardletIds ? { shardletId: { in: [...shardletIds] } } : {}) } });
  const out = new Map<string, DurableCheckpoint>();
  for (const r of rows) {
    const c = parse(r);
    if (c) out.set(r.shardletId, c);
  }
  return out;
}

/**
 * Makes cursors durable. A checkpoint never moves a cursor back: the stored one is only replaced
 * when the new position is not lower (a slow job must not undo a newer one's work). Each write is
 * logged with its reason, for the console's checkpoint history.
 */
export async function saveCheckpoints(db: ControlDb | Tx, groupId: string, writes: readonly CheckpointWrite[], at: Date = new Date()): Promise<void> {
  if (writes.length === 0) return;
  const run = async (tx: Tx) => {
    for (const w of writes) {
      const position = BigInt(cursorPosition(w.cursor));
      // Plain object literals: Prisma's JSON input type wants index-signature objects, not the interface.
      const cursor = w.cursor.map((x) => ({ lo: x.lo, hi: x.hi, after: x.after }));
      await tx.consumerCheckpoint.upsert({
        where: { groupId_shardletId: { groupId, shardletId: w.shardletId } },
        create: { groupId, shardletId: w.shardletId, cursor, position, at },
        update: { cursor, position, at },
      });
    }
    await tx.consumerCheckpointLog.createMany({
      data: writes.map((w) => ({
        groupId,
        shardletId: w.shardletId,
        position: BigInt(cursorPosition(w.cursor)),
        trigger: w.trigger,
        reason: w.reason.slice(0, 500),
        eventsSince: Math.max(0, Math.min(2_147_483_647, Math.round(w.eventsSince))),
        predictedReplaySec: Number.isFinite(w.predictedReplaySec) ? w.predictedReplaySec : 0,
        at,
      })),
    });
  };
  if ("$transaction" in db) await db.$transaction(async (tx) => run(tx));
  else await run(db);
}

export async function deleteDurableCheckpoints(db: Pick<ControlDb, "consumerCheckpoint">, groupId: string, shardletIds: readonly string[]): Promise<void> {
  if (shardletIds.length === 0) return;
  await db.consumerCheckpoint.deleteMany({ where: { groupId, shardletId: { in: [...shardletIds] } } });
}

export async function listCheckpointLog(db: ControlDb, q: { groupId: string; since?: number; limit: number }): Promise<CheckpointLogEntry[]> {
  const rows = await db.consumerCheckpointLog.findMany({
    where: { groupId: q.groupId, ...(q.since !== undefined ? { at: { gte: new Date(q.since) } } : {}) },
    orderBy: { id: "desc" },
    take: q.limit,
  });
  return rows.map((r) => ({
    id: num(r.id),
    groupId: r.groupId,
    shardletId: r.shardletId,
    position: num(r.position),
    trigger: r.trigger,
    reason: r.reason,
    eventsSince: r.eventsSince,
    predictedReplaySec: r.predictedReplaySec,
    at: r.at.getTime(),
  }));
}

/** Checkpoint log rows older than the cutoff (housekeeping). */
export async function purgeCheckpointLog(db: ControlDb, before: Date): Promise<number> {
  const res = await db.consumerCheckpointLog.deleteMany({ where: { at: { lt: before } } });
  const ev = await db.consumerGroupEvent.deleteMany({ where: { at: { lt: before } } });
  return res.count + ev.count;
}
