import type { HostRun, OverflowRow, OverflowWrite } from "./types.ts";

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
ON CONFLICT (stream_id, seq) DO NOTHING`;

export async function appendOverflow(run: HostRun, w: OverflowWrite): Promise<void> {
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
  await run("overflow append", {
    name: "sc_overflow_append_v1",
    text: OVERFLOW_APPEND_SQL,
    values: [w.streamId, cols.shardIds, cols.seqs, cols.shardletIds, cols.keys, cols.hashes, cols.ids, cols.types, cols.tss, cols.payloads, cols.sizes],
  });
}

export async function overflowChunk(run: HostRun, streamId: string, lo: number, hi: number, limit: number): Promise<OverflowRow[]> {
  const res = await run<StoredRowRecord & { ts_ms: number }>("overflow read", {
    text: `SELECT seq, shardlet_id, key, key_hash, event_id, type, (extract(epoch FROM ts) * 1000)::float8 AS ts_ms,
                  payload::text AS payload_json, size_bytes
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
