import { cursorAhead, cursorPosition, cursorSchema, laterCursor, type Cursor } from "@shardcast/core";
import type { ControlDb } from "../client.ts";
import { num } from "../errors.ts";
import { msOf, sqlRows, sqlTransaction, utc, type SqlQuery } from "../sql.ts";

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

export type CheckpointRow = { groupId: string; shardletId: string; cursor: unknown; position: number; at: number };

/** A stored checkpoint, or null when its cursor does not parse (then it is as if there were none). */
export function checkpointOf(row: CheckpointRow): DurableCheckpoint | null {
  const c = cursorSchema.safeParse(row.cursor);
  if (!c.success) return null;
  return { groupId: row.groupId, shardletId: row.shardletId, cursor: c.data, position: row.position, at: row.at };
}

// Every poll layers these under its Redis cursors: plain SQL (see sql.ts).
export const CHECKPOINT_COLUMNS = `group_id AS "groupId", shardlet_id AS "shardletId", cursor, position::float8 AS position, ${msOf("at")} AS at`;

/** Durable checkpoints of a group by shardlet (all of them when `shardletIds` is omitted). */
export async function getDurableCheckpoints(db: ControlDb | SqlQuery, groupId: string, shardletIds?: readonly string[]): Promise<Map<string, DurableCheckpoint>> {
  const out = new Map<string, DurableCheckpoint>();
  if (shardletIds?.length === 0) return out;
  // A function: a transaction's statements (reconcile's, which must not wait for a second connection).
  const q: SqlQuery = typeof db === "function" ? db : (text, values) => sqlRows(db, text, values);
  const rows = shardletIds
    ? await q<CheckpointRow>(`SELECT ${CHECKPOINT_COLUMNS} FROM consumer_checkpoints WHERE group_id = $1 AND shardlet_id = ANY($2::text[])`, [groupId, [...shardletIds]])
    : await q<CheckpointRow>(`SELECT ${CHECKPOINT_COLUMNS} FROM consumer_checkpoints WHERE group_id = $1`, [groupId]);
  for (const r of rows) {
    const c = checkpointOf(r);
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
  db: ControlDb,
  groupId: string,
  writes: readonly CheckpointWrite[],
  at: Date = new Date(),
  opts: { assignedOnly?: boolean } = {},
): Promise<string[]> {
  if (writes.length === 0) return [];
  return sqlTransaction(db, (q) => saveCheckpointsIn(q, groupId, writes, at, opts));
}

/**
 * `saveCheckpoints` inside a transaction already open (reconcile's): a few statements whatever the
 * number of writes, since a join or a rebalance hands on every shardlet of a group at once.
 */
export async function saveCheckpointsIn(q: SqlQuery, groupId: string, writes: readonly CheckpointWrite[], at: Date, opts: { assignedOnly?: boolean } = {}): Promise<string[]> {
  if (writes.length === 0) return [];
  const group = await q<{ id: string }>("SELECT id FROM consumer_groups WHERE id = $1 FOR UPDATE", [groupId]);
  // A deleted group has nothing to resume.
  if (group.length === 0) return [];
  const ids = [...new Set(writes.map((w) => w.shardletId))];
  if (opts.assignedOnly) {
    const held = new Set((await q<{ id: string }>("SELECT shardlet_id AS id FROM consumer_assignments WHERE group_id = $1 AND shardlet_id = ANY($2::text[])", [groupId, ids])).map((a) => a.id));
    writes = writes.filter((w) => held.has(w.shardletId));
    if (writes.length === 0) return [];
  }
  const rows = await q<{ id: string; cursor: unknown }>("SELECT shardlet_id AS id, cursor FROM consumer_checkpoints WHERE group_id = $1 AND shardlet_id = ANY($2::text[])", [groupId, ids]);
  const stored = new Map<string, Cursor>();
  for (const r of rows) {
    const c = cursorSchema.safeParse(r.cursor);
    if (c.success) stored.set(r.id, c.data);
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
  const list = [...moved.values()];
  const when = utc(at);
  const positions = list.map((w) => cursorPosition(w.cursor));
  await q(
    `INSERT INTO consumer_checkpoints (group_id, shardlet_id, cursor, position, at)
     SELECT $1, v.id, v.cursor::jsonb, v.position, $2::timestamp FROM unnest($3::text[], $4::text[], $5::bigint[]) AS v(id, cursor, position)
     ON CONFLICT (group_id, shardlet_id) DO UPDATE SET cursor = EXCLUDED.cursor, position = EXCLUDED.position, at = EXCLUDED.at`,
    [groupId, when, list.map((w) => w.shardletId), list.map((w) => JSON.stringify(w.cursor.map((x) => ({ lo: x.lo, hi: x.hi, after: x.after })))), positions],
  );
  await q(
    `INSERT INTO consumer_checkpoint_log (group_id, shardlet_id, position, trigger, reason, events_since, predicted_replay_sec, at)
     SELECT $1, v.id, v.position, v.trigger, v.reason, v.events, v.replay, $2::timestamp
     FROM unnest($3::text[], $4::bigint[], $5::text[], $6::text[], $7::int[], $8::float8[]) AS v(id, position, trigger, reason, events, replay)`,
    [
      groupId,
      when,
      list.map((w) => w.shardletId),
      positions,
      list.map((w) => w.trigger),
      list.map((w) => w.reason.slice(0, 500)),
      list.map((w) => Math.max(0, Math.min(2_147_483_647, Math.round(w.eventsSince)))),
      list.map((w) => (Number.isFinite(w.predictedReplaySec) ? w.predictedReplaySec : 0)),
    ],
  );
  return [...moved.keys()];
}

/** Removes a group's durable checkpoints of shardlets (retired ones, in reconcile's transaction). */
export async function deleteDurableCheckpoints(q: SqlQuery, groupId: string, shardletIds: readonly string[]): Promise<void> {
  if (shardletIds.length === 0) return;
  await q("DELETE FROM consumer_checkpoints WHERE group_id = $1 AND shardlet_id = ANY($2::text[])", [groupId, [...shardletIds]]);
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
