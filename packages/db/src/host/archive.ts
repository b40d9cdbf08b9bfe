import { ShardcastError } from "@shardcast/core";
import { decodeBatch, encodeBatch } from "./archive-codec.ts";
import type { HostRun } from "./types.ts";

/**
 * The cold archive of a host (see host migration 0004): old payloads of a key-hash range leave
 * their rows for gzip batches in `sc_archive`, and every read of the host resolves them from the
 * batch in the same statement (`archive-codec.ts`). A row keeps its position, key, id, time, size
 * and the md5 of its payload, so an archived range counts, orders, deduplicates and migrates as
 * before; a migration's copy writes the payloads back in full on the destination.
 */

export interface ArchiveRange {
  streamId: string;
  /** Key-hash range: lo inclusive, hi exclusive. */
  lo: number;
  hi: number;
}

export interface ArchivedChunk {
  batchId: number;
  /** The last position the chunk read (the next chunk's `afterSeq`). */
  lastSeq: number;
  events: number;
  /** Payload bytes (jsonb text) archived, and the batch's compressed size. */
  rawBytes: number;
  storedBytes: number;
}

/** Reads an archive chunk gives up after, when other archivers keep taking its rows first. */
const ARCHIVE_ATTEMPTS = 5;

/**
 * Archives up to `limit` of the range's oldest unarchived rows stored before `storedBefore` (epoch
 * ms) into one batch; null when there are none. A batch holds exactly the payloads of the rows that
 * reference it: the write takes the rows it read or none of them, and a row that another archiver
 * took or a migration's cleanup deleted since the read sends the chunk back to a new read.
 * Payloads never change after a write, so the text read here is the text of the row updated there.
 */
export async function archiveChunk(run: HostRun, q: ArchiveRange & { storedBefore: number; limit: number; afterSeq?: number; upToSeq?: number }): Promise<ArchivedChunk | null> {
  for (let attempt = 1; ; attempt++) {
    const rows = await readArchivable(run, q);
    if (rows.length === 0) return null;
    const chunk = await writeBatch(run, q, rows);
    if (chunk) return chunk;
    // Each refused write saw a row of its read taken by another statement that committed, so the
    // next read no longer returns it; only a range archived and restored over and over gets here.
    if (attempt >= ARCHIVE_ATTEMPTS) {
      throw new ShardcastError("conflict", `archive of stream ${q.streamId} [${q.lo}, ${q.hi}): other archives kept taking its rows; left to them`);
    }
  }
}

async function readArchivable(run: HostRun, q: ArchiveRange & { storedBefore: number; limit: number; afterSeq?: number; upToSeq?: number }): Promise<Array<{ seq: number; payloadText: string }>> {
  // `afterSeq` (the previous chunk's last position) starts the walk of the primary key past what
  // was archived already: without it every chunk would step over all the archived rows again.
  const res = await run<{ seq: string; p: string }>("archive read", {
    text: `SELECT seq, payload::text AS p FROM sc_events
           WHERE stream_id = $1 AND key_hash >= $2 AND key_hash < $3 AND archive_batch IS NULL
             AND stored_at < to_timestamp($4::float8 / 1000.0) AND seq > $6 AND ($7::bigint IS NULL OR seq <= $7)
           ORDER BY seq LIMIT $5`,
    values: [q.streamId, q.lo, q.hi, q.storedBefore, q.limit, q.afterSeq ?? 0, q.upToSeq ?? null],
  });
  return res.rows.map((r) => ({ seq: Number(r.seq), payloadText: r.p }));
}

/** One statement: the batch and its rows, or nothing at all when a row read is no longer there unarchived. */
async function writeBatch(run: HostRun, q: ArchiveRange, rows: ReadonlyArray<{ seq: number; payloadText: string }>): Promise<ArchivedChunk | null> {
  const blob = encodeBatch(rows);
  const rawBytes = rows.reduce((n, r) => n + Buffer.byteLength(r.payloadText), 0);
  const seqs = rows.map((r) => r.seq);
  // The rows are locked in position order before the batch is inserted: a concurrent archiver of
  // the same rows waits here, then finds them archived and inserts no batch (a batch whose rows
  // went elsewhere would count their events and bytes twice in sc_archive).
  const upd = await run<{ batch_id: string | null; n: number }>("archive write", {
    text: `WITH l AS (
             SELECT seq FROM sc_events WHERE stream_id = $1 AND seq = ANY($9::bigint[]) AND archive_batch IS NULL
             ORDER BY seq FOR UPDATE
           ), b AS (
             INSERT INTO sc_archive (stream_id, lo, hi, min_seq, max_seq, events, raw_bytes, blob)
             SELECT $1, $2, $3, $4, $5, $6::int, $7, $8 WHERE (SELECT count(*) FROM l) = $6::int
             RETURNING batch_id
           ), u AS (
             UPDATE sc_events SET payload_md5 = md5(payload::text)::uuid, payload = NULL, archive_batch = b.batch_id
             FROM b WHERE stream_id = $1 AND seq IN (SELECT seq FROM l)
             RETURNING 1
           )
           SELECT (SELECT batch_id FROM b)::text AS batch_id, (SELECT count(*) FROM u)::int AS n`,
    values: [q.streamId, q.lo, q.hi, seqs[0], seqs[seqs.length - 1], rows.length, rawBytes, blob, seqs],
  });
  const row = upd.rows[0];
  if (!row || row.batch_id === null) return null;
  return { batchId: Number(row.batch_id), lastSeq: seqs[seqs.length - 1]!, events: row.n, rawBytes, storedBytes: blob.length };
}

async function dropBatchIfUnused(run: HostRun, streamId: string, batchId: number): Promise<boolean> {
  const res = await run("archive drop batch", {
    text: `DELETE FROM sc_archive a WHERE a.batch_id = $2
             AND NOT EXISTS (SELECT 1 FROM sc_events e WHERE e.stream_id = $1 AND e.archive_batch = $2)`,
    values: [streamId, batchId],
  });
  return (res.rowCount ?? 0) > 0;
}

/**
 * Restores the archived rows of a range from up to `limit` batches: payloads go back into their
 * rows (each checked against the row's md5 first), and a batch that no row needs any more is
 * dropped. Returns how many rows and batches it restored; 0 rows means the range is whole.
 */
export async function restoreChunk(run: HostRun, q: ArchiveRange & { limit: number }): Promise<{ events: number; batches: number }> {
  const ids = await run<{ id: string }>("archive batches of range", {
    text: `SELECT DISTINCT archive_batch::text AS id FROM sc_events
           WHERE stream_id = $1 AND archive_batch IS NOT NULL AND key_hash >= $2 AND key_hash < $3 LIMIT $4`,
    values: [q.streamId, q.lo, q.hi, q.limit],
  });
  let events = 0;
  let batches = 0;
  for (const { id } of ids.rows) {
    const batchId = Number(id);
    const blob = await run<{ blob: Buffer }>("archive batch read", { text: "SELECT blob FROM sc_archive WHERE batch_id = $1", values: [batchId] });
    const found = blob.rows[0];
    if (!found) {
      // Gone since the listing: another restore or a cleanup's sweep dropped it once no row needed
      // it, which leaves nothing to do here. Rows of the range still pointing at it are damage.
      if ((await archivedRowsOf(run, q, batchId)) === 0) continue;
      throw new ShardcastError("internal", `archive batch ${batchId} of stream ${q.streamId} is missing: its rows cannot be restored`);
    }
    const payloads = await decodeBatch(batchId, found.blob);
    const res = await run<{ restored: number }>("archive restore", {
      text: `WITH t AS (SELECT * FROM unnest($5::bigint[], $6::text[]) AS t(seq, p)),
             u AS (
               UPDATE sc_events e SET payload = t.p::jsonb, archive_batch = NULL, payload_md5 = NULL FROM t
               WHERE e.stream_id = $1 AND e.seq = t.seq AND e.archive_batch = $4 AND e.key_hash >= $2 AND e.key_hash < $3
                 AND e.payload_md5 = md5(t.p)::uuid
               RETURNING 1
             )
             SELECT count(*)::int AS restored FROM u`,
      values: [q.streamId, q.lo, q.hi, batchId, [...payloads.keys()], [...payloads.values()]],
    });
    const restored = res.rows[0]?.restored ?? 0;
    // What the update left archived in the range is what failed its md5 (or had no payload in the
    // batch): an error, and those rows stay archived, readable as before.
    const bad = await archivedRowsOf(run, q, batchId);
    if (bad > 0) throw new ShardcastError("internal", `archive batch ${batchId} of stream ${q.streamId}: ${bad} payloads do not match their rows' checksums; left archived`);
    events += restored;
    if (await dropBatchIfUnused(run, q.streamId, batchId)) batches++;
  }
  return { events, batches };
}

async function archivedRowsOf(run: HostRun, q: ArchiveRange, batchId: number): Promise<number> {
  const res = await run<{ n: number }>("archive restore check", {
    text: "SELECT count(*)::int AS n FROM sc_events WHERE stream_id = $1 AND archive_batch = $4 AND key_hash >= $2 AND key_hash < $3",
    values: [q.streamId, q.lo, q.hi, batchId],
  });
  return res.rows[0]?.n ?? 0;
}

/**
 * Drops every batch of a stream that no row references (their rows moved to another host, or a
 * restore stopped before dropping it); returns how many. Deletes `chunk` batches per statement,
 * so each stays short, until a statement finds fewer.
 */
export async function sweepArchive(run: HostRun, streamId: string, chunk = 1000): Promise<number> {
  let total = 0;
  for (;;) {
    const res = await run("archive sweep", {
      text: `DELETE FROM sc_archive WHERE batch_id = ANY(ARRAY(
               SELECT a.batch_id FROM sc_archive a WHERE a.stream_id = $1
                 AND NOT EXISTS (SELECT 1 FROM sc_events e WHERE e.stream_id = $1 AND e.archive_batch = a.batch_id)
               LIMIT $2))`,
      values: [streamId, chunk],
    });
    const n = res.rowCount ?? 0;
    total += n;
    if (n < chunk) return total;
  }
}

export interface RangeArchiveStats {
  /** Archived rows of the range and their payload bytes as written (the rows' size_bytes). */
  events: number;
  bytes: number;
  /** The highest archived position (null: none archived). */
  maxSeq: number | null;
}

/** Archived rows and bytes in each key-hash range of a stream (one scan per range of `sc_events_archived_hash`, which holds archived rows only). */
export async function archivedInRanges(run: HostRun, streamId: string, ranges: ReadonlyArray<{ lo: number; hi: number }>): Promise<RangeArchiveStats[]> {
  if (ranges.length === 0) return [];
  const res = await run<{ i: number; n: number; b: number; m: string | null }>("archive stats", {
    text: `SELECT r.i, count(e.seq)::float8 AS n, coalesce(sum(e.size_bytes), 0)::float8 AS b, max(e.seq)::text AS m
           FROM unnest($2::bigint[], $3::bigint[]) WITH ORDINALITY AS r(lo, hi, i)
           LEFT JOIN sc_events e ON e.stream_id = $1 AND e.archive_batch IS NOT NULL AND e.key_hash >= r.lo AND e.key_hash < r.hi
           GROUP BY r.i`,
    values: [streamId, ranges.map((r) => r.lo), ranges.map((r) => r.hi)],
  });
  const byIndex = new Map(res.rows.map((r) => [Number(r.i), r]));
  return ranges.map((_, i) => {
    const r = byIndex.get(i + 1);
    return { events: r?.n ?? 0, bytes: r?.b ?? 0, maxSeq: r?.m == null ? null : Number(r.m) };
  });
}

/**
 * The last position of the stream on this host whose row was stored before `storedBefore` (epoch
 * ms), 0 when none: a binary search over positions, one primary-key probe per step, because
 * storage time follows position (rows are written in the order their positions are handed out,
 * give or take the requests in flight). Rows copied in by a migration are stored at the copy, so
 * around them the answer can fall short: callers still filter on the storage time, so a short
 * answer archives less, never a row that is too new.
 */
export async function archiveCutSeq(run: HostRun, streamId: string, storedBefore: number): Promise<number> {
  const bounds = await run<{ lo: string | null; hi: string | null }>("archive cut bounds", {
    text: "SELECT min(seq)::text AS lo, max(seq)::text AS hi FROM sc_events WHERE stream_id = $1",
    values: [streamId],
  });
  let lo = Number(bounds.rows[0]?.lo ?? 0);
  let hi = Number(bounds.rows[0]?.hi ?? 0);
  let cut = 0;
  while (lo <= hi && hi > 0) {
    const mid = Math.floor((lo + hi) / 2);
    // The position comes back as text under another name: ORDER BY a `seq` alias would sort text.
    const probe = await run<{ at: string; old: boolean }>("archive cut probe", {
      text: "SELECT seq::text AS at, stored_at < to_timestamp($3::float8 / 1000.0) AS old FROM sc_events WHERE stream_id = $1 AND seq >= $2 ORDER BY seq LIMIT 1",
      values: [streamId, mid, storedBefore],
    });
    const row = probe.rows[0];
    if (row?.old) {
      cut = Number(row.at);
      lo = cut + 1;
    } else hi = mid - 1;
  }
  return cut;
}

/**
 * Bytes of a range's unarchived payloads with afterSeq < seq <= upToSeq stored before
 * `storedBefore` (epoch ms; the cut from `archiveCutSeq` can lie above rows stored late, such as
 * drained or copied ones), counting at most `capRows` rows: enough to tell whether a range passes
 * a threshold. No order is asked for, so the scan stops at the cap whichever index it takes.
 */
export async function archivableBytes(run: HostRun, q: ArchiveRange & { afterSeq: number; upToSeq: number; storedBefore: number; capRows: number }): Promise<number> {
  if (q.upToSeq <= q.afterSeq) return 0;
  const res = await run<{ b: number }>("archivable bytes", {
    text: `SELECT coalesce(sum(size_bytes), 0)::float8 AS b FROM (
             SELECT size_bytes FROM sc_events
             WHERE stream_id = $1 AND seq > $4 AND seq <= $5 AND key_hash >= $2 AND key_hash < $3 AND archive_batch IS NULL
               AND stored_at < to_timestamp($7::float8 / 1000.0)
             LIMIT $6) x`,
    values: [q.streamId, q.lo, q.hi, q.afterSeq, q.upToSeq, q.capRows, q.storedBefore],
  });
  return res.rows[0]?.b ?? 0;
}

export interface StreamArchiveTotals {
  batches: number;
  /** Payload bytes before and after compression. */
  rawBytes: number;
  storedBytes: number;
}

/** The stream's batches on this host and what they hold. */
export async function archiveTotals(run: HostRun, streamId: string): Promise<StreamArchiveTotals> {
  const res = await run<{ batches: number; raw: number; stored: number }>("archive totals", {
    text: `SELECT count(*)::float8 AS batches, coalesce(sum(raw_bytes), 0)::float8 AS raw, coalesce(sum(octet_length(blob)), 0)::float8 AS stored
           FROM sc_archive WHERE stream_id = $1`,
    values: [streamId],
  });
  const r = res.rows[0];
  return { batches: r?.batches ?? 0, rawBytes: r?.raw ?? 0, storedBytes: r?.stored ?? 0 };
}
