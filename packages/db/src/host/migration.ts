import type pg from "pg";
import { batchRowsSql, splitArchived, type ArchiveColumns } from "./archive-codec.ts";
import { batchWriteValues, type HostDriver } from "./driver.ts";
import type { HostLayout } from "./layout.ts";
import type { StoredRowRecord } from "./overflow.ts";
import { query } from "./range-query.ts";
import { fencedInsertSql, fencedResultSql, type LayoutStatement } from "./writes.ts";
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
  /** The second the row was first stored (its partition key), kept by the copy. */
  part: number;
}

/**
 * The shadow write: a shardlet's events written to the destination of its migration, after the
 * source stored them. Like the producers' fenced write, one statement for several shardlets, but
 * a part passes only a fence in state `shadow` at the writer's epoch; rows already there (copied
 * meanwhile, same seq or id) are skipped; and nothing is added to the accounting deltas (the
 * destination's totals are counted at the switch). Results are aligned with `w.parts`.
 */
const SHADOW_WRITE: LayoutStatement = {
  legacy: { name: "sc_shadow_write_v2", text: `${fencedInsertSql("legacy", "shadow", "skip-all", "1")}\n${fencedResultSql("legacy")}` },
  partitioned: { name: "sc_shadow_write_v3", text: `${fencedInsertSql("partitioned", "shadow", "skip-all", "1")}\n${fencedResultSql("partitioned")}` },
};

export interface ShadowWriteResult {
  /** False when the destination's fence refused the part (the migration switched or was cancelled). */
  ok: boolean;
}

export async function shadowWriteBatch(driver: HostDriver, w: HostBatchWrite): Promise<ShadowWriteResult[]> {
  // The events carry the second their source stored them at: a copy of the same rows then meets them.
  const res = await driver.withLayout((layout) =>
    driver.placing(() =>
      query<{ fenced_ok: string[]; inserted: number }>(driver, "shadow write", { ...SHADOW_WRITE[layout], values: batchWriteValues(w, layout).values }),
    ),
  );
  const passed = new Set(res.rows[0]?.fenced_ok ?? []);
  return w.parts.map((p) => ({ ok: passed.has(p.shardletId) }));
}

export type CopyRowRecord = StoredRowRecord & ArchiveColumns & { ts_us: string; part: string };

export type CopyReadQuery = MigrationRange & { afterSeq: number; upToSeq: number | null; limit: number };

/**
 * A row's first stored second: its partition key, or for a row stored before partitioning (part 0,
 * or a host not partitioned yet) its stored time, which a re-copy reads the same.
 */
const storedSecondSql = (layout: HostLayout) =>
  layout === "partitioned" ? "CASE WHEN part >= 1 THEN part ELSE floor(extract(epoch FROM stored_at))::bigint END" : "floor(extract(epoch FROM stored_at))::bigint";

/**
 * The statement of `readRangeRows`, for callers that run it inside their own transaction (the
 * layout only changes how the stored second is read, which works on both layouts as "legacy").
 * Expired rows below the stream's first kept position are not copied.
 */
export function copyReadStatement(q: CopyReadQuery, layout: HostLayout = "legacy"): pg.QueryConfig {
  const kept = layout === "partitioned" ? " AND seq >= coalesce((SELECT start_seq FROM sc_stream_retention WHERE stream_id = $1), 0)" : "";
  return {
    text: `WITH r AS MATERIALIZED (
             SELECT seq, shardlet_id, key, key_hash, event_id, type, (extract(epoch FROM ts) * 1000000)::bigint::text AS ts_us,
                    payload::text AS payload_json, size_bytes, ${storedSecondSql(layout)}::text AS part, archive_batch
             FROM sc_events
             WHERE stream_id = $1 AND seq > $2 AND ($3::bigint IS NULL OR seq <= $3) AND key_hash >= $4 AND key_hash < $5${kept}
             ORDER BY seq LIMIT $6
           )
           SELECT r.*, NULL::bytea AS blob FROM r
           UNION ALL
           ${batchRowsSql("r", ["bigint", "text", "text", "bigint", "text", "text", "text", "text", "int", "text"])}`,
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
      part: Number(r.part),
    }))
    .sort((a, b) => a.seq - b.seq);
}

/**
 * Rows of a range with afterSeq < seq <= upToSeq (no upper bound when null), in sequence order,
 * at most `limit`. Archived payloads are read from their batches in the same statement: the copy
 * carries every payload in full, so the destination holds the range unarchived.
 */
export async function readRangeRows(driver: HostDriver, q: CopyReadQuery): Promise<CopyRow[]> {
  const res = await driver.withLayout((layout) => query<CopyRowRecord>(driver, "copy read", copyReadStatement(q, layout)));
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

/** The highest sequence number of the stream stored on this host (0 when none). */
export async function maxStreamSeq(driver: HostDriver, streamId: string): Promise<number> {
  const res = await query<{ seq: string | null }>(driver, "max seq", {
    text: "SELECT max(seq)::text AS seq FROM sc_events WHERE stream_id = $1",
    values: [streamId],
  });
  return Number(res.rows[0]?.seq ?? 0);
}
