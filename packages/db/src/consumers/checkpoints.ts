import { cursorAhead, cursorPosition, cursorSchema, laterCursor, type Cursor } from "@shardcast/core";
import type { ControlDb } from "../client.ts";
import { num } from "../errors.ts";
import { msOf, sqlRows } from "../sql.ts";

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

type Tx = Pick<ControlDb, "consumerCheckpoint" | "consumerCheckpointLog" | "consumerAssignment" | "$queryRaw">;

type CheckpointRow = { groupId: string; shardletId: string; cursor: unknown; position: number; at: number };

function parse(row: CheckpointRow): DurableCheckpoint | null {
  const c = cursorSchema.safeParse(row.cursor);
  if (!c.success) return null;
  return { groupId: row.groupId, shardletId: row.shardletId, cursor: c.data, position: row.position, at: row.at };
}

// Every poll layers these under its Redis cursors: plain SQL (see sql.ts).
const CHECKPOINT_COLUMNS = `group_id AS "groupId", shardlet_id AS "shardletId", cursor, position::float8 AS position, ${msOf("at")} AS at`;

/** Durable checkpoints of a group by shardlet (all of them when `shardletIds` is omitted). */
export async function getDurableCheckpoints(db: ControlDb, groupId: string, shardletIds?: readonly string[]): Promise<Map<string, DurableCheckpoint>> {
  const out = new Map<string, DurableCheckpoint>();
  if (shardletIds?.length === 0) return out;
  const rows = shardletIds
    ? await sqlRows<CheckpointRow>(db, `SELECT ${CHECKPOINT_COLUMNS} FROM consumer_checkpoints WHERE group_id = $1 AND shardlet_id = ANY($2::text[])`, [groupId, [...shardletIds]])
    : await sqlRows<CheckpointRow>(db, `SELECT ${CHECKPOINT_COLUMNS} FROM consumer_checkpoints WHERE group_id = $1`, [groupId]);
  for (const r of rows) {
    const c = parse(r);
    if (c) out.set(r.shardletId, c);
  }
  return out;
}

/**
 * Makes cursors durable and returns the shardlets whose checkpoint moved. A checkpoint never moves
 * a cursor back, not even one part of a merged cursor: a slow job, or a Redis that came back with
 * older cursors, must not undo a newer checkpoint, since members resume from it when Redis loses
 * theirs. So the stored cursor becomes the later of the two, and a write nowhere ahead of it is
 * dropped. Writers take the group's row lock (reconcile already holds it when it hands cursors
 * on), so two of them never both compare against the same stored cursor. Each write is logged with
 * its reason, for the console's checkpoint history. With `assignedOnly` (the checkpoint job, which
 * read the assignments before taking the lock), a shardlet the group no longer has (a reconcile
 * retired it meanwhile and removed its checkpoint) is not written back.
 */
export async function saveCheckpoints(
  db: ControlDb | Tx,
  groupId: string,
  writes: readonly CheckpointWrite[],
  at: Date = new Date(),
  opts: { assignedOnly?: boolean } = {},
): Promise<string[]> {
  if (writes.length === 0) return [];
  const run = async (tx: Tx): Promise<string[]> => {
    const group = await tx.$queryRaw<Array<{ id: string }>>`SELECT id FROM consumer_groups WHERE id = ${groupId} FOR UPDATE`;
    // A deleted group has nothing to resume.
    if (group.length === 0) return [];
    if (opts.assignedOnly) {
      const ids = [...new Set(writes.map((w) => w.shardletId))];
      const held = new Set((await tx.consumerAssignment.findMany({ where: { groupId, shardletId: { in: ids } }, select: { shardletId: true } })).map((a) => a.shardletId));
      writes = writes.filter((w) => held.has(w.shardletId));
      if (writes.length === 0) return [];
    }
    const rows = await tx.consumerCheckpoint.findMany({ where: { groupId, shardletId: { in: [...new Set(writes.map((w) => w.shardletId))] } }, select: { shardletId: true, cursor: true } });
    const stored = new Map<string, Cursor>();
    for (const r of rows) {
      const c = cursorSchema.safeParse(r.cursor);
      if (c.success) stored.set(r.shardletId, c.data);
    }
    const moved = new Map<string, CheckpointWrite>();
    for (const w of writes) {
      const prev = stored.get(w.shardletId);
      if (prev && !cursorAhead(w.cursor, prev)) continue;
      const cursor = laterCursor(w.cursor, prev);
      stored.set(w.shardletId, cursor);
      moved.set(w.shardletId, { ...w, cursor });
    }
    if (moved.size === 0) return [];
    for (const w of moved.values()) {
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
      data: [...moved.values()].map((w) => ({
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
    return [...moved.keys()];
  };
  if ("$transaction" in db) return db.$transaction(async (tx) => run(tx));
  return run(db);
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
