import type { PartRange } from "@shardcast/core";
import type { HostDriver } from "./driver.ts";
import { detachedPartitions, listEventPartitions, setHostPartitionSpan, type EventPartition } from "./partitions.ts";
import { query } from "./range-query.ts";

/**
 * Host-side statements of retention (the `retention.enforce` job): what a host keeps of each
 * stream, where each stream starts now, and which partitions still hold a stream's live rows.
 * The host must be partitioned (host migration 0009); `partitionedHost` tells.
 */

export async function partitionedHost(driver: HostDriver): Promise<boolean> {
  return (await driver.layout()) === "partitioned";
}

export interface HostPartitions {
  attached: EventPartition[];
  /** Detached by a run that stopped before dropping them. */
  detached: Array<{ name: string } & PartRange>;
  /** When the legacy partition stopped taking rows (the host's switch to partitions), epoch seconds. */
  legacyUntilSec: number | null;
  /** The host's clock, epoch seconds: the partition holding it takes writes and is never dropped. */
  nowSec: number;
}

export async function hostPartitions(driver: HostDriver): Promise<HostPartitions> {
  return driver.withClient(async (c) => {
    const attached = await listEventPartitions(c);
    const detached = await detachedPartitions(c);
    const legacy = attached.some((p) => p.legacy)
      ? await c.query<{ at: string | null }>("SELECT ceil(extract(epoch FROM applied_at))::bigint::text AS at FROM sc_host_migrations WHERE id = 9")
      : null;
    const at = legacy?.rows[0]?.at;
    const now = await c.query<{ s: string }>("SELECT floor(extract(epoch FROM now()))::bigint::text AS s");
    return { attached, detached, legacyUntilSec: at == null ? null : Number(at), nowSec: Number(now.rows[0]?.s ?? 0) };
  });
}

/** Tells the host the span its writers use when they create a partition themselves. */
export async function setPartitionSpan(driver: HostDriver, spanSec: number): Promise<void> {
  await driver.withClient((c) => setHostPartitionSpan(c, spanSec));
}

/** Streams the host may hold rows of: those with a fence there, or a recorded start. */
export async function hostStreamIds(driver: HostDriver): Promise<string[]> {
  const res = await query<{ stream_id: string }>(driver, "retention streams", {
    text: "SELECT stream_id FROM sc_fence UNION SELECT stream_id FROM sc_stream_retention",
  });
  return res.rows.map((r) => r.stream_id);
}

/** Each stream's first kept position recorded on the host (absent: 0, nothing expired). */
export async function hostStreamStarts(driver: HostDriver): Promise<Map<string, number>> {
  const res = await query<{ stream_id: string; start_seq: string }>(driver, "retention starts", { text: "SELECT stream_id, start_seq::text FROM sc_stream_retention" });
  return new Map(res.rows.map((r) => [r.stream_id, Number(r.start_seq)]));
}

export interface KeptFrom {
  /** The stream's first row at or after the position asked for that is stored at or after the cutoff. */
  first: { seq: number; storedSec: number } | null;
  /** The stream's highest position on the host (0: no row). */
  maxSeq: number;
}

/**
 * Where a stream's kept rows begin on the host: its first row from `fromSeq` on (the start recorded
 * before, so only rows that expired since are stepped over) stored at or after `cutoffSec`. Rows
 * stored before partitioning (part 0) are judged by their stored time. Partitions wholly before the
 * cutoff are pruned when planned.
 */
export async function keptFrom(driver: HostDriver, streamId: string, fromSeq: number, cutoffSec: number): Promise<KeptFrom> {
  const res = await query<{ seq: string | null; stored: string | null; max: string | null }>(driver, "retention start", {
    text: `SELECT f.seq::text AS seq, f.stored::text AS stored, (SELECT max(seq) FROM sc_events WHERE stream_id = $1)::text AS max
           FROM (SELECT 1) one LEFT JOIN LATERAL (
             SELECT seq, CASE WHEN part >= 1 THEN part ELSE floor(extract(epoch FROM stored_at))::bigint END AS stored
             FROM sc_events
             WHERE stream_id = $1 AND seq >= $2 AND (part >= $3 OR (part < 1 AND stored_at >= to_timestamp($3)))
             ORDER BY seq LIMIT 1
           ) f ON true`,
    values: [streamId, fromSeq, cutoffSec],
  });
  const r = res.rows[0];
  return { first: r?.seq == null ? null : { seq: Number(r.seq), storedSec: Number(r.stored) }, maxSeq: Number(r?.max ?? 0) };
}

/** Records streams' first kept positions (never moved back) and the cutoffs they come from. */
export async function setStreamStarts(driver: HostDriver, rows: ReadonlyArray<{ streamId: string; startSeq: number; cutoffSec: number }>): Promise<void> {
  if (rows.length === 0) return;
  await query(driver, "retention starts write", {
    text: `INSERT INTO sc_stream_retention AS r (stream_id, start_seq, cutoff_sec, updated_at)
           SELECT * , now() FROM unnest($1::text[], $2::bigint[], $3::bigint[])
           ON CONFLICT (stream_id) DO UPDATE
             SET start_seq = greatest(r.start_seq, excluded.start_seq), cutoff_sec = greatest(r.cutoff_sec, excluded.cutoff_sec), updated_at = now()`,
    values: [rows.map((r) => r.streamId), rows.map((r) => r.startSeq), rows.map((r) => r.cutoffSec)],
  });
}

/**
 * A consumer group's unread events among those a start move forgets: rows of the stream with a
 * position in [`fromSeq`, `toSeq`) that lie in one of the group's key-hash segments after that
 * segment's cursor. Counted before any partition holding them is dropped; a walk of the positions
 * that expired since the last run, like the start's own.
 */
export async function unreadBetween(driver: HostDriver, streamId: string, segments: ReadonlyArray<{ lo: number; hi: number; after: number }>, fromSeq: number, toSeq: number): Promise<number> {
  if (segments.length === 0 || toSeq <= fromSeq) return 0;
  const res = await query<{ n: number }>(driver, "retention unread", {
    text: `SELECT count(*)::float8 AS n
           FROM sc_events e JOIN unnest($4::bigint[], $5::bigint[], $6::bigint[]) AS g(lo, hi, after)
             ON e.key_hash >= g.lo AND e.key_hash < g.hi AND e.seq > g.after
           WHERE e.stream_id = $1 AND e.seq >= $2 AND e.seq < $3`,
    values: [streamId, fromSeq, toSeq, segments.map((g) => g.lo), segments.map((g) => g.hi), segments.map((g) => g.after)],
  });
  return res.rows[0]?.n ?? 0;
}

/**
 * Of `streamIds`, those with a row in the partition `name` (one probe of its (stream_id, seq, part)
 * index per stream, whatever its size).
 */
export async function streamsWithRows(driver: HostDriver, name: string, streamIds: readonly string[]): Promise<string[]> {
  if (streamIds.length === 0) return [];
  const res = await query<{ s: string }>(driver, "retention probe", {
    text: `SELECT s FROM unnest($1::text[]) AS s WHERE EXISTS (SELECT 1 FROM ${quoteIdent(name)} e WHERE e.stream_id = s)`,
    values: [[...streamIds]],
  });
  return res.rows.map((r) => r.s);
}

/** A stream's payload bytes in one partition (an index-only sum over its key-hash index where the visibility map allows). */
export async function streamBytesIn(driver: HostDriver, name: string, streamId: string): Promise<number> {
  const res = await query<{ b: number }>(driver, "retention bytes", {
    text: `SELECT coalesce(sum(size_bytes), 0)::float8 AS b FROM ${quoteIdent(name)} WHERE stream_id = $1`,
    values: [streamId],
  });
  return res.rows[0]?.b ?? 0;
}

export function quoteIdent(name: string): string {
  if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`not a partition name: ${name}`);
  return `"${name}"`;
}
