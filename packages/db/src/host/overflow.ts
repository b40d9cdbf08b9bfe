import { storedIdsSql } from "./event-ids.ts";
import type { HostLayout } from "./layout.ts";
import type { HostRun, OverflowAppendResult, OverflowRow, OverflowWrite } from "./types.ts";

/** A stored row as the overflow drain and the migration copy read it (bigints as text), less its time. */
export interface StoredRowRecord {
  seq: string;
  shardlet_id: string;
  key: string;
  key_hash: string;
  event_id: string | null;
  type: string | null;
  payload_json: string;
  size_bytes: number;
}

const OVERFLOW_APPEND_SQL = `
INSERT INTO sc_overflow (shard_id, stream_id, seq, shardlet_id, key, key_hash, event_id, type, ts, payload, size_bytes)
SELECT t.shard_id, $1, t.seq, t.shardlet_id, t.key, t.key_hash, t.event_id, t.type, to_timestamp(t.ts_ms / 1000.0), t.payload::jsonb, t.size_bytes
FROM unnest($2::text[], $3::bigint[], $4::text[], $5::text[], $6::bigint[], $7::text[], $8::text[], $9::float8[], $10::text[], $11::int[])
  AS t(shard_id, seq, shardlet_id, key, key_hash, event_id, type, ts_ms, payload, size_bytes)
ON CONFLICT DO NOTHING
RETURNING seq::text`;

/**
 * Appends events to the overflow log; results are aligned with `w.parts`. A conflict on the seq
 * (a repeated append) or on the event id (sc_overflow_event_id: an id already in the log, from an
 * earlier append or earlier in this batch) stores nothing; an id's conflict is answered with the
 * stored copy's position. Two appends of one id at once are settled by the index: the later one
 * waits for the earlier to commit and then skips, and its lookup (a new snapshot) finds the winner.
 */
export async function appendOverflow(run: HostRun, w: OverflowWrite): Promise<OverflowAppendResult[]> {
  const cols = {
    shardIds: [] as string[],
    seqs: [] as number[],
    shardletIds: [] as string[],
    keys: [] as string[],
    hashes: [] as number[],
    ids: [] as Array<string | null>,
    types: [] as Array<string | null>,
    tss: [] as number[],
    payloads: [] as string[],
    sizes: [] as number[],
  };
  for (const part of w.parts) {
    for (const e of part.events) {
      cols.shardIds.push(part.shardId);
      cols.seqs.push(e.seq);
      cols.shardletIds.push(part.shardletId);
      cols.keys.push(e.key);
      cols.hashes.push(e.keyHash);
      cols.ids.push(e.id);
      cols.types.push(e.type);
      cols.tss.push(e.ts);
      cols.payloads.push(e.payloadJson);
      cols.sizes.push(e.sizeBytes);
    }
  }
  const res = await run<{ seq: string }>("overflow append", {
    name: "sc_overflow_append_v2",
    text: OVERFLOW_APPEND_SQL,
    values: [w.streamId, cols.shardIds, cols.seqs, cols.shardletIds, cols.keys, cols.hashes, cols.ids, cols.types, cols.tss, cols.payloads, cols.sizes],
  });
  const none = (): OverflowAppendResult[] => w.parts.map(() => ({ duplicates: [] }));
  if (res.rows.length === cols.seqs.length) return none();
  const inserted = new Set(res.rows.map((r) => Number(r.seq)));
  const skipped = new Set<string>();
  for (const part of w.parts) for (const e of part.events) if (e.id !== null && !inserted.has(e.seq)) skipped.add(e.id);
  if (skipped.size === 0) return none();
  const stored = await overflowIds(run, w.streamId, [...skipped]);
  return w.parts.map((part) => {
    const duplicates: OverflowAppendResult["duplicates"] = [];
    part.events.forEach((e, index) => {
      const seq = e.id === null ? undefined : stored.get(e.id);
      if (seq !== undefined && seq !== e.seq) duplicates.push({ index, seq });
    });
    return { duplicates };
  });
}

async function overflowIds(run: HostRun, streamId: string, ids: readonly string[]): Promise<Map<string, number>> {
  const res = await run<{ event_id: string; seq: string }>("overflow id lookup", {
    text: "SELECT event_id, seq::text AS seq FROM sc_overflow WHERE stream_id = $1 AND event_id = ANY($2::text[])",
    values: [streamId, ids],
  });
  return new Map(res.rows.map((r) => [r.event_id, Number(r.seq)]));
}

/**
 * The position each of `ids` is stored at on this host, in the stream's events or its overflow
 * log (ids not stored are absent). The overflow path asks the hosts of the shardlets it writes
 * for, since the fast path's idempotency index only covers the events table.
 */
export async function storedEventIds(run: HostRun, streamId: string, ids: readonly string[], layout: HostLayout): Promise<Map<string, number>> {
  if (ids.length === 0) return new Map();
  const res = await run<{ event_id: string; seq: string }>("event id lookup", {
    text: `SELECT event_id, min(seq)::text AS seq FROM (
             ${storedIdsSql(layout)}
             UNION ALL
             SELECT event_id, seq FROM sc_overflow WHERE stream_id = $1 AND event_id = ANY($2::text[])
           ) s GROUP BY event_id`,
    values: [streamId, ids],
  });
  return new Map(res.rows.map((r) => [r.event_id, Number(r.seq)]));
}

export async function overflowChunk(run: HostRun, streamId: string, lo: number, hi: number, limit: number): Promise<OverflowRow[]> {
  const res = await run<StoredRowRecord & { ts_ms: number; part: string }>("overflow read", {
    text: `SELECT seq, shardlet_id, key, key_hash, event_id, type, (extract(epoch FROM ts) * 1000)::float8 AS ts_ms,
                  payload::text AS payload_json, size_bytes, floor(extract(epoch FROM stored_at))::bigint::text AS part
           FROM sc_overflow
           WHERE stream_id = $1 AND key_hash >= $2 AND key_hash < $3 AND drained_at IS NULL
           ORDER BY seq LIMIT $4`,
    values: [streamId, lo, hi, limit],
  });
  return res.rows.map((r) => ({
    seq: Number(r.seq),
    shardletId: r.shardlet_id,
    key: r.key,
    keyHash: Number(r.key_hash),
    id: r.event_id,
    type: r.type,
    ts: Math.round(r.ts_ms),
    payloadJson: r.payload_json,
    sizeBytes: r.size_bytes,
    part: Number(r.part),
  }));
}

export async function markOverflowDrained(run: HostRun, streamId: string, seqs: readonly number[]): Promise<void> {
  if (seqs.length === 0) return;
  await run("overflow mark", {
    text: "UPDATE sc_overflow SET drained_at = now() WHERE stream_id = $1 AND seq = ANY($2::bigint[]) AND drained_at IS NULL",
    values: [streamId, seqs],
  });
}

export async function purgeDrainedOverflow(run: HostRun, olderThanMs: number): Promise<number> {
  const res = await run("overflow purge", {
    text: "DELETE FROM sc_overflow WHERE drained_at IS NOT NULL AND drained_at < now() - make_interval(secs => $1::float8 / 1000.0)",
    values: [olderThanMs],
  });
  return res.rowCount ?? 0;
}

export async function countOverflow(run: HostRun, streamId: string, lo: number, hi: number): Promise<number> {
  const res = await run<{ n: number }>("overflow count", {
    text: "SELECT count(*)::float8 AS n FROM sc_overflow WHERE stream_id = $1 AND key_hash >= $2 AND key_hash < $3 AND drained_at IS NULL",
    values: [streamId, lo, hi],
  });
  return res.rows[0]?.n ?? 0;
}

/**
 * The lowest position of an undrained overflow row of a range up to `maxSeq` (null: none). A
 * copy of the range from its shardlet's host is complete only below it: that event reaches the
 * host when it is drained, after the copy may have passed its position.
 */
export async function lowestUndrainedOverflowSeq(run: HostRun, streamId: string, lo: number, hi: number, maxSeq: number): Promise<number | null> {
  const res = await run<{ seq: string | null }>("overflow lowest", {
    text: "SELECT min(seq)::text AS seq FROM sc_overflow WHERE stream_id = $1 AND key_hash >= $2 AND key_hash < $3 AND seq <= $4 AND drained_at IS NULL",
    values: [streamId, lo, hi, maxSeq],
  });
  const v = res.rows[0]?.seq;
  return v === null || v === undefined ? null : Number(v);
}
