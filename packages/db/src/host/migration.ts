import type pg from "pg";
import { batchRowsSql, splitArchived, type ArchiveColumns } from "./archive-codec.ts";
import { batchWriteValues, type HostDriver } from "./driver.ts";
import type { StoredRowRecord } from "./overflow.ts";
import { query } from "./range-query.ts";
import { FENCED_RESULT_SQL, fencedInsertSql } from "./writes.ts";
import type { HostBatchWrite } from "./types.ts";

/**
 * Host-side statements of a shardlet migration. A shardlet's rows on a host are its stream's rows
 * whose key hash lies in its range, so moving it to another host copies that range's rows (by
 * sequence, idempotently), compares the two copies per sequence range, and deletes the range from
 * the old host once the mapping has switched.
 *
 * Fence states used here, beside `active`:
 * - `shadow` on the destination until the switch opens it: shadow writes and copy chunks pass it
 *   at the copy epoch, producer writes (which need `active`) never do;
 * - `moved` on the source from the switch until cleanup drops it: nothing passes, and a reader
 *   whose route still names this host learns that its route is stale.
 */

export const SHADOW_FENCE_STATE = "shadow";
export const MOVED_FENCE_STATE = "moved";

/** A key-hash range of a stream on a host: lo inclusive, hi exclusive. */
export interface MigrationRange {
  streamId: string;
  lo: number;
  hi: number;
}

/** A stored event as the copy moves it (the timestamp in microseconds, so it is copied exactly). */
export interface CopyRow {
  seq: number;
  shardletId: string;
  key: string;
  keyHash: number;
  eventId: string | null;
  type: string | null;
  tsMicros: number;
  payloadJson: string;
  sizeBytes: number;
}

/**
 * The shadow write: a shardlet's events written to the destination of its migration, after the
 * source stored them. Like the producers' fenced write, one statement for several shardlets, but
 * a part passes only a fence in state `shadow` at the writer's epoch; rows already there (copied
 * meanwhile, same seq or id) are skipped; and nothing is added to the accounting deltas (the
 * destination's totals are counted at the switch). Results are aligned with `w.parts`.
 */
const SHADOW_WRITE_SQL = `${fencedInsertSql("shadow", "ON CONFLICT DO NOTHING", "1")}
${FENCED_RESULT_SQL}`;

export interface ShadowWriteResult {
  /** False when the destination's fence refused the part (the migration switched or was cancelled). */
  ok: boolean;
}

export async function shadowWriteBatch(driver: HostDriver, w: HostBatchWrite): Promise<ShadowWriteResult[]> {
  const res = await query<{ fenced_ok: string[]; inserted: number }>(driver, "shadow write", {
    name: "sc_shadow_write_v1",
    text: SHADOW_WRITE_SQL,
    values: batchWriteValues(w).values,
  });
  const passed = new Set(res.rows[0]?.fenced_ok ?? []);
  return w.parts.map((p) => ({ ok: passed.has(p.shardletId) }));
}

export type CopyRowRecord = StoredRowRecord & ArchiveColumns & { ts_us: string };

export type CopyReadQuery = MigrationRange & { afterSeq: number; upToSeq: number | null; limit: number };

/** The statement of `readRangeRows`, for callers that run it inside their own transaction. */
export function copyReadStatement(q: CopyReadQuery): pg.QueryConfig {
  return {
    text: `WITH r AS MATERIALIZED (
             SELECT seq, shardlet_id, key, key_hash, event_id, type, (extract(epoch FROM ts) * 1000000)::bigint::text AS ts_us,
                    payload::text AS payload_json, size_bytes, archive_batch
             FROM sc_events
             WHERE stream_id = $1 AND seq > $2 AND ($3::bigint IS NULL OR seq <= $3) AND key_hash >= $4 AND key_hash < $5
             ORDER BY seq LIMIT $6
           )
           SELECT r.*, NULL::bytea AS blob FROM r
           UNION ALL
           ${batchRowsSql("r", ["bigint", "text", "text", "bigint", "text", "text", "text", "text", "int"])}`,
    values: [q.streamId, q.afterSeq, q.upToSeq, q.lo, q.hi, q.limit],
  };
}

/** The copy rows of a `copyReadStatement` result, archived payloads resolved, in sequence order. */
export async function copyRowsOf(result: readonly CopyRowRecord[]): Promise<CopyRow[]> {
  const { rows, archived } = await splitArchived(result);
  return rows
    .map((r) => ({
      seq: Number(r.seq),
      shardletId: r.shardlet_id,
      key: r.key,
      keyHash: Number(r.key_hash),
      eventId: r.event_id,
      type: r.type,
      tsMicros: Number(r.ts_us),
      payloadJson: archived.get(Number(r.seq)) ?? r.payload_json,
      sizeBytes: r.size_bytes,
    }))
    .sort((a, b) => a.seq - b.seq);
}

/**
 * Rows of a range with afterSeq < seq <= upToSeq (no upper bound when null), in sequence order,
 * at most `limit`. Archived payloads are read from their batches in the same statement: the copy
 * carries every payload in full, so the destination holds the range unarchived.
 */
export async function readRangeRows(driver: HostDriver, q: CopyReadQuery): Promise<CopyRow[]> {
  const res = await query<CopyRowRecord>(driver, "copy read", copyReadStatement(q));
  return copyRowsOf(res.rows);
}

/** Copy rows as the column arrays the copy statements unnest (seq, shardlet, key, hash, id, type, time in µs, payload, size). */
export function copyRowArrays(rows: readonly CopyRow[]): unknown[] {
  return [
    rows.map((r) => r.seq),
    rows.map((r) => r.shardletId),
    rows.map((r) => r.key),
    rows.map((r) => r.keyHash),
    rows.map((r) => r.eventId),
    rows.map((r) => r.type),
    rows.map((r) => r.tsMicros),
    rows.map((r) => r.payloadJson),
    rows.map((r) => r.sizeBytes),
  ];
}

/**
 * Writes copied rows into the destination, only while its fence for `shardletId` is at `epoch`
 * in one of `states` (taken FOR SHARE, so a fence change waits for it and a copier that lost the
 * migration stores nothing afterwards). Rows already there (same seq or event id) are skipped:
 * a chunk can be copied again after any interruption. Rows keep the label of the shardlet that
 * accepted them.
 */
export async function writeCopiedRows(
  driver: HostDriver,
  w: { streamId: string; shardletId: string; epoch: number; states: readonly string[]; rows: readonly CopyRow[] },
): Promise<{ accepted: boolean; inserted: number }> {
  if (w.rows.length === 0) {
    const fence = await driver.getFence(w.shardletId);
    return { accepted: fence !== null && fence.epoch === w.epoch && w.states.includes(fence.state), inserted: 0 };
  }
  const rows = w.rows;
  const res = await query<{ fenced: boolean; inserted: number }>(driver, "copy write", {
    name: "sc_migration_write_v1",
    text: `WITH f AS (
             SELECT shardlet_id FROM sc_fence WHERE shardlet_id = $2 AND epoch = $3 AND state = ANY($4::text[]) FOR SHARE
           ), ins AS (
             INSERT INTO sc_events (stream_id, seq, shardlet_id, key, key_hash, event_id, type, ts, payload, size_bytes)
             SELECT $1, t.seq, t.shardlet_id, t.key, t.key_hash, t.event_id, t.type,
                    'epoch'::timestamptz + t.ts_us * interval '1 microsecond', t.payload::jsonb, t.size_bytes
             FROM unnest($5::bigint[], $6::text[], $7::text[], $8::bigint[], $9::text[], $10::text[], $11::bigint[], $12::text[], $13::int[])
               AS t(seq, shardlet_id, key, key_hash, event_id, type, ts_us, payload, size_bytes)
             WHERE EXISTS (SELECT 1 FROM f)
             ON CONFLICT DO NOTHING
             RETURNING 1
           )
           SELECT EXISTS (SELECT 1 FROM f) AS fenced, (SELECT count(*) FROM ins)::int AS inserted`,
    values: [
      w.streamId,
      w.shardletId,
      w.epoch,
      [...w.states],
      ...copyRowArrays(rows),
    ],
  });
  const row = res.rows[0];
  return { accepted: row?.fenced ?? false, inserted: row?.inserted ?? 0 };
}

/**
 * Deletes up to `limit` rows of a range, optionally only those with afterSeq < seq <= toSeq;
 * returns how many. Called until it returns 0, so each statement stays short.
 */
export async function deleteRangeRows(
  driver: HostDriver,
  q: MigrationRange & { afterSeq?: number; toSeq?: number | null; limit: number },
): Promise<number> {
  const res = await query(driver, "range delete", {
    text: `DELETE FROM sc_events WHERE ctid = ANY(ARRAY(
             SELECT ctid FROM sc_events
             WHERE stream_id = $1 AND key_hash >= $2 AND key_hash < $3
               AND ($4::bigint IS NULL OR seq > $4) AND ($5::bigint IS NULL OR seq <= $5)
             LIMIT $6))`,
    values: [q.streamId, q.lo, q.hi, q.afterSeq ?? null, q.toSeq ?? null, q.limit],
  });
  return res.rowCount ?? 0;
}

/** The highest sequence number of the stream stored on this host (0 when none). */
export async function maxStreamSeq(driver: HostDriver, streamId: string): Promise<number> {
  const res = await query<{ seq: string | null }>(driver, "max seq", {
    text: "SELECT max(seq)::text AS seq FROM sc_events WHERE stream_id = $1",
    values: [streamId],
  });
  return Number(res.rows[0]?.seq ?? 0);
}

/** A copied row the host skipped because it stores the row's event id at another position. */
export interface HeldEventId {
  seq: number;
  eventId: string;
  heldSeq: number;
  heldKeyHash: number;
}

/**
 * Of `rows`, those whose event id the host already stores at another position, with where and
 * under which key hash it does: the copy's `ON CONFLICT DO NOTHING` skips them, as the host stores
 * an event id once per stream (`sc_events_event_id`).
 */
export async function eventIdsHeldElsewhere(driver: HostDriver, q: { streamId: string; rows: readonly CopyRow[] }): Promise<HeldEventId[]> {
  const withId = q.rows.filter((r) => r.eventId !== null);
  if (withId.length === 0) return [];
  const res = await query<{ seq: string; event_id: string; held_seq: string; held_key_hash: string }>(driver, "copy id check", {
    text: `SELECT t.seq::text AS seq, e.event_id, e.seq::text AS held_seq, e.key_hash::text AS held_key_hash
           FROM unnest($2::bigint[], $3::text[]) AS t(seq, event_id)
           JOIN sc_events e ON e.stream_id = $1 AND e.event_id = t.event_id AND e.seq <> t.seq`,
    values: [q.streamId, withId.map((r) => r.seq), withId.map((r) => r.eventId)],
  });
  return res.rows.map((r) => ({ seq: Number(r.seq), eventId: r.event_id, heldSeq: Number(r.held_seq), heldKeyHash: Number(r.held_key_hash) }));
}

/** Deletes the range's rows at the given positions; returns how many. */
export async function deleteRangeRowsAt(driver: HostDriver, q: MigrationRange & { seqs: readonly number[] }): Promise<number> {
  if (q.seqs.length === 0) return 0;
  const res = await query(driver, "range delete", {
    text: "DELETE FROM sc_events WHERE stream_id = $1 AND seq = ANY($2::bigint[]) AND key_hash >= $3 AND key_hash < $4",
    values: [q.streamId, [...q.seqs], q.lo, q.hi],
  });
  return res.rowCount ?? 0;
}
