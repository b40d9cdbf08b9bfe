import { createHash } from "node:crypto";
import type { HostDriver } from "./driver.ts";
import { storedIdsSql } from "./event-ids.ts";
import type { OverflowRow } from "./types.ts";

/**
 * Host-side statements that settle an overflow drain. A drain's write skips rows silently, so
 * these decide from what the host actually holds which overflow rows may be marked or deleted.
 */

/** An event stored on a host, as a drain names it. */
export interface StoredEventRef {
  seq: number;
  id: string | null;
  key: string;
}

/** Where the rows a drain wrote stand on the target host. */
export interface DrainedRowCheck {
  /** Stored at their seq as the same event: drained. */
  stored: number[];
  /** Their event id is stored at another seq (an idempotent re-send): the event is stored once already. */
  duplicates: number[];
  /** Their seq holds a different event: both are acknowledged events, and the row must stay. */
  collisions: Array<{ row: StoredEventRef; stored: StoredEventRef }>;
}

function md5Uuid(text: string): string {
  const h = createHash("md5").update(text, "utf8").digest("hex");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/**
 * What the target host holds for overflow rows just written into it. The drain's write skips a
 * row on any conflict, of its event id or of its seq, so finding something at the row's seq does
 * not mean the row is stored: the stored event must be the row's (its id; without one, what
 * readers compare: key, type, time and payload, by md5 so an archived row compares too). Rows in
 * none of the answer's lists were not stored for no reason seen here and are left for another
 * drain.
 */
export async function checkDrainedRows(driver: HostDriver, streamId: string, rows: readonly OverflowRow[]): Promise<DrainedRowCheck> {
  const out: DrainedRowCheck = { stored: [], duplicates: [], collisions: [] };
  if (rows.length === 0) return out;
  const atSeq = await driver.withClient((c) =>
    c.query<{ seq: string; event_id: string | null; key: string; type: string | null; ts_ms: number; payload_md5: string | null }>(
      `SELECT seq::text AS seq, event_id, key, type, (extract(epoch FROM ts) * 1000)::float8 AS ts_ms,
              CASE WHEN event_id IS NULL THEN coalesce(md5(payload::text)::uuid, payload_md5)::text END AS payload_md5
       FROM sc_events WHERE stream_id = $1 AND seq = ANY($2::bigint[])`,
      [streamId, rows.map((r) => r.seq)],
    ),
  );
  const bySeq = new Map(atSeq.rows.map((e) => [Number(e.seq), e]));
  const unsettled: OverflowRow[] = [];
  for (const r of rows) {
    const e = bySeq.get(r.seq);
    const same =
      e !== undefined &&
      (r.id !== null
        ? e.event_id === r.id
        : e.event_id === null && e.key === r.key && e.type === r.type && Math.round(e.ts_ms) === r.ts && e.payload_md5 === md5Uuid(r.payloadJson));
    if (same) out.stored.push(r.seq);
    else unsettled.push(r);
  }
  if (unsettled.length === 0) return out;
  const ids = unsettled.flatMap((r) => (r.id === null ? [] : [r.id]));
  const idSeqs =
    ids.length === 0
      ? new Map<string, number>()
      : new Map(
          (
            await driver.withLayout((layout) =>
              driver.withClient((c) => c.query<{ event_id: string; seq: string }>(`SELECT event_id, seq::text AS seq FROM (${storedIdsSql(layout)}) s`, [streamId, ids])),
            )
          ).rows.map((e) => [e.event_id, Number(e.seq)]),
        );
  for (const r of unsettled) {
    const idSeq = r.id === null ? undefined : idSeqs.get(r.id);
    const e = bySeq.get(r.seq);
    if (idSeq !== undefined && idSeq !== r.seq) out.duplicates.push(r.seq);
    else if (e) out.collisions.push({ row: { seq: r.seq, id: r.id, key: r.key }, stored: { seq: r.seq, id: e.event_id, key: e.key } });
  }
  return out;
}

/**
 * Settles drained overflow rows in one statement: rows now stored in their shardlet are marked
 * drained (and kept for the grace period, for readers merging across the log and the host);
 * `duplicates` (rows the drain skipped because their event id is already stored under another
 * seq) are deleted, else readers would see that event twice. Returns the seqs marked now (not
 * before: a drain repeated after a crash counts each row once) and how many rows were deleted.
 */
export async function settleOverflowRows(
  driver: HostDriver,
  streamId: string,
  rows: { drained: readonly number[]; duplicates: readonly number[] },
): Promise<{ marked: number[]; deleted: number }> {
  if (rows.drained.length === 0 && rows.duplicates.length === 0) return { marked: [], deleted: 0 };
  const res = await driver.withClient((c) =>
    c.query<{ marked: string[]; deleted: number }>(
      `WITH m AS (
         UPDATE sc_overflow SET drained_at = now() WHERE stream_id = $1 AND seq = ANY($2::bigint[]) AND drained_at IS NULL RETURNING seq
       ), d AS (
         DELETE FROM sc_overflow WHERE stream_id = $1 AND seq = ANY($3::bigint[]) AND drained_at IS NULL RETURNING seq
       )
       SELECT (SELECT coalesce(array_agg(seq), '{}') FROM m)::text[] AS marked, (SELECT count(*) FROM d)::int AS deleted`,
      [streamId, rows.drained, rows.duplicates],
    ),
  );
  const row = res.rows[0];
  return { marked: (row?.marked ?? []).map(Number), deleted: row?.deleted ?? 0 };
}
