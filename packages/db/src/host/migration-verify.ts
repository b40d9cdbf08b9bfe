import type { HostDriver } from "./driver.ts";
import type { MigrationRange } from "./migration.ts";
import { query } from "./range-query.ts";

/**
 * What a row contributes to a range digest: every stored field that a reader sees (seq, id, key,
 * type, event time to the microsecond, payload). jsonb's text form is canonical, so two hosts that
 * store the same event compute the same value. The payload enters as the md5 of that text, which an
 * archived row keeps in `payload_md5`: a range archived on one host and whole on the other (a
 * copy writes payloads in full) digests the same. Summed as numeric: order-independent, exact.
 */
const ROW_DIGEST = `hashtextextended(
  e.seq::text || '|' || coalesce(e.event_id, '\\x01') || '|' || e.key || '|' || coalesce(e.type, '\\x01') || '|' ||
  (extract(epoch FROM e.ts) * 1000000)::bigint::text || '|' || coalesce(md5(e.payload::text)::uuid, e.payload_md5)::text, 0)::numeric`;

/** Count and digest of the rows in (afterSeq, toSeq]. */
export interface SeqRangeDigest {
  afterSeq: number;
  /** Inclusive; null means no upper bound. */
  toSeq: number | null;
  rows: number;
  /** Sum of the row digests, as decimal text (compare as strings). */
  digest: string;
}

/**
 * The source side of a verification: the rows of a range with afterSeq < seq <= upToSeq, in
 * sequence order, cut into consecutive buckets of `bucketRows` rows, each with its count and
 * digest. Reads at most `maxRows` rows; `complete` says whether that reached `upToSeq` (else the
 * caller continues after the last bucket). Bucket i covers (previous bucket's last seq, its own
 * last seq]; the last bucket of a complete read is extended to `upToSeq`.
 */
export async function sourceDigests(
  driver: HostDriver,
  q: MigrationRange & { afterSeq: number; upToSeq: number | null; bucketRows: number; maxRows: number },
): Promise<{ buckets: SeqRangeDigest[]; complete: boolean }> {
  const res = await query<{ last: string; rows: number; digest: string }>(driver, "verify digest", {
    text: `WITH r AS (
             SELECT e.seq, ${ROW_DIGEST} AS h FROM sc_events e
             WHERE e.stream_id = $1 AND e.seq > $2 AND ($3::bigint IS NULL OR e.seq <= $3) AND e.key_hash >= $4 AND e.key_hash < $5
             ORDER BY e.seq LIMIT $6
           ), b AS (
             SELECT (row_number() OVER (ORDER BY seq) - 1) / $7 AS bucket, seq, h FROM r
           )
           SELECT max(seq)::text AS last, count(*)::int AS rows, sum(h)::text AS digest FROM b GROUP BY bucket ORDER BY bucket`,
    values: [q.streamId, q.afterSeq, q.upToSeq, q.lo, q.hi, q.maxRows, q.bucketRows],
  });
  const total = res.rows.reduce((n, r) => n + r.rows, 0);
  const complete = total < q.maxRows;
  let after = q.afterSeq;
  const buckets = res.rows.map((r, i): SeqRangeDigest => {
    const last = i === res.rows.length - 1;
    const toSeq = last && complete ? q.upToSeq : Number(r.last);
    const b = { afterSeq: after, toSeq, rows: r.rows, digest: r.digest };
    if (toSeq !== null) after = toSeq;
    return b;
  });
  if (buckets.length === 0 && complete) buckets.push({ afterSeq: q.afterSeq, toSeq: q.upToSeq, rows: 0, digest: "0" });
  return { buckets, complete };
}

/**
 * The other side of a verification: count and digest of a range's rows in each given seq range.
 * The ranges must be consecutive and ascending (as `sourceDigests` returns them): one scan over
 * their whole span assigns each row to its range, so the planner can walk the primary key from
 * the first bound (a short tail) or the key-hash range (a long span), whichever is cheaper.
 */
export async function digestsIn(
  driver: HostDriver,
  q: MigrationRange & { ranges: ReadonlyArray<{ afterSeq: number; toSeq: number | null }> },
): Promise<Array<{ rows: number; digest: string }>> {
  if (q.ranges.length === 0) return [];
  const last = q.ranges[q.ranges.length - 1]!;
  const res = await query<{ i: number; rows: number; digest: string }>(driver, "verify digest", {
    text: `SELECT width_bucket(e.seq, $4::bigint[]) AS i, count(*)::int AS rows, sum(${ROW_DIGEST})::text AS digest
           FROM sc_events e
           WHERE e.stream_id = $1 AND e.key_hash >= $2 AND e.key_hash < $3 AND e.seq > $5 AND ($6::bigint IS NULL OR e.seq <= $6)
           GROUP BY 1`,
    values: [q.streamId, q.lo, q.hi, q.ranges.map((r) => r.afterSeq + 1), q.ranges[0]!.afterSeq, last.toSeq],
  });
  const byRange = new Map(res.rows.map((r) => [r.i, r]));
  return q.ranges.map((_, i) => {
    const r = byRange.get(i + 1);
    return r ? { rows: r.rows, digest: r.digest } : { rows: 0, digest: "0" };
  });
}
