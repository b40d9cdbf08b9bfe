import { ShardcastError } from "@shardcast/core";
import type { HostDriver } from "./driver.ts";

/**
 * Host-side statements of splits and merges. A shardlet's rows on its host are the rows of its
 * stream whose key hash lies in its range (`sc_events.shardlet_id` only records the shardlet that
 * accepted the write), so a split or merge on one host changes fences and totals, never a row.
 */

/** Where a shardlet's events sit in its range (see `chooseSplitPoint`). */
export interface KeyHashProfile {
  median: number;
  min: number;
  max: number;
  rows: number;
}

/** A key-hash range of one stream on a host: lo inclusive, hi exclusive. */
export interface HashRange {
  streamId: string;
  lo: number;
  hi: number;
}

/** A deadlock between a writer's share locks and a fence update aborts one side; retry ours. */
const RETRYABLE = new Set(["40P01", "40001"]);

function isRetryable(err: unknown): boolean {
  const code = (err as { code?: unknown }).code;
  return typeof code === "string" && RETRYABLE.has(code);
}

async function withRetry<T>(fn: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (err) {
      if (attempt >= 5 || !isRetryable(err)) throw err;
    }
  }
}

/** The load median of the events in a range by key hash; null when it holds none. */
export async function keyHashMedian(driver: HostDriver, range: HashRange): Promise<KeyHashProfile | null> {
  const res = await driver.withClient((c) =>
    c.query<{ median: string | null; min: string | null; max: string | null; rows: number }>(
      `SELECT percentile_disc(0.5) WITHIN GROUP (ORDER BY key_hash) AS median, min(key_hash) AS min, max(key_hash) AS max,
              count(*)::float8 AS rows
       FROM sc_events WHERE stream_id = $1 AND key_hash >= $2 AND key_hash < $3`,
      [range.streamId, range.lo, range.hi],
    ),
  );
  const r = res.rows[0];
  if (!r || r.median === null || r.min === null || r.max === null || r.rows === 0) return null;
  return { median: Number(r.median), min: Number(r.min), max: Number(r.max), rows: r.rows };
}

/** Events and bytes stored in a key-hash range on a host. */
export interface RangeTotals {
  events: number;
  bytes: number;
}

/**
 * Events and bytes in each range, one index range scan (`sc_events_hash`) per range, the ranges
 * counted at once on separate connections.
 */
export async function rangeTotals(driver: HostDriver, ranges: readonly HashRange[]): Promise<RangeTotals[]> {
  return Promise.all(
    ranges.map(async (r) => {
      const res = await driver.withClient((c) =>
        c.query<RangeTotals>({
          text: `SELECT count(*)::float8 AS events, coalesce(sum(size_bytes), 0)::float8 AS bytes
                 FROM sc_events WHERE stream_id = $1 AND key_hash >= $2 AND key_hash < $3`,
          values: [r.streamId, r.lo, r.hi],
        }),
      );
      return res.rows[0] ?? { events: 0, bytes: 0 };
    }),
  );
}

export interface PreparedChild extends RangeTotals {
  id: string;
  lo: number;
  hi: number;
  epoch: number;
}

/**
 * The host side of a split's or merge's new shardlets, in one statement: their fence rows in
 * state `pending` (no write passes them; existing rows are kept), their accounting totals set to
 * the figures of their ranges (their deltas dropped), and the totals and deltas of `drop` (the
 * sources they replace) removed. No event row is touched: membership is the key-hash range.
 * Idempotent while the children are pending. Once a child's fence has left `pending`, another run
 * of the job has switched it and producers write into it: figures counted before that would
 * replace live accounting, so nothing is changed and false is returned. The existing fence rows
 * are share-locked for that check, so a switch in flight (it takes them for update) is waited
 * for and its state seen.
 */
export async function prepareChildren(
  driver: HostDriver,
  change: { streamId: string; children: readonly PreparedChild[]; drop: readonly string[] },
): Promise<boolean> {
  if (change.children.length === 0) return true;
  const ch = change.children;
  // A concurrent fold deletes delta rows and upserts totals too: a deadlock is retried.
  const res = await withRetry(() =>
    driver.withClient((c) =>
      c.query<{ prepared: boolean }>(
        `WITH lk AS (
           SELECT state FROM sc_fence WHERE shardlet_id = ANY($2::text[]) ORDER BY shardlet_id FOR SHARE
         ), ok AS (
           SELECT NOT EXISTS (SELECT 1 FROM lk WHERE state <> 'pending') AS prepared
         ), c AS (
           SELECT * FROM unnest($2::text[], $3::int[], $4::bigint[], $5::bigint[], $6::bigint[], $7::bigint[])
             AS c(id, epoch, lo, hi, events, bytes)
           WHERE (SELECT prepared FROM ok)
         ), f AS (
           INSERT INTO sc_fence (shardlet_id, stream_id, epoch, state, lo, hi, updated_at)
           SELECT id, $1, epoch, 'pending', lo, hi, now() FROM c
           ON CONFLICT (shardlet_id) DO NOTHING
         ), dd AS (
           DELETE FROM sc_stat_delta WHERE (shardlet_id = ANY($2::text[]) OR shardlet_id = ANY($8::text[])) AND (SELECT prepared FROM ok)
         ), dt AS (
           DELETE FROM sc_stat_total WHERE shardlet_id = ANY($8::text[]) AND (SELECT prepared FROM ok)
         ), t AS (
           INSERT INTO sc_stat_total AS t (shardlet_id, events, bytes, updated_at)
           SELECT id, events, bytes, now() FROM c
           ON CONFLICT (shardlet_id) DO UPDATE SET events = excluded.events, bytes = excluded.bytes, updated_at = now()
         )
         SELECT prepared FROM ok`,
        [
          change.streamId,
          ch.map((x) => x.id),
          ch.map((x) => x.epoch),
          ch.map((x) => x.lo),
          ch.map((x) => x.hi),
          ch.map((x) => Math.round(x.events)),
          ch.map((x) => Math.round(x.bytes)),
          change.drop,
        ],
      ),
    ),
  );
  return res.rows[0]?.prepared ?? false;
}

interface FenceLockRow {
  shardlet_id: string;
  epoch: number;
  state: string;
}

/**
 * One statement, one round trip: the fence rows are locked FOR UPDATE in shardlet-id order (the
 * order every fence change uses, so two never deadlock), `ok` says whether every check passed,
 * and the update runs only then (on the rows as locked). The rows come back as they were before
 * the update, for the caller's checks and errors. These statements run inside a change's lock
 * window, where every round trip is time the range's writers wait.
 */
async function lockedFenceUpdate(driver: HostDriver, sql: string, params: unknown[]): Promise<Map<string, FenceLockRow>> {
  const res = await withRetry(() => driver.withClient((c) => c.query<FenceLockRow>(sql, params)));
  return new Map(res.rows.map((r) => [r.shardlet_id, r]));
}

/**
 * The epoch raise that starts a split or merge: each source's fence goes to `state` at its new
 * epoch. Taking the rows FOR UPDATE waits for every fenced write in flight (they hold the rows
 * FOR SHARE); writes that come later see the new epoch or state and store nothing. Idempotent: a
 * fence already at the new epoch and state is left as it is. A fence above the new epoch means
 * something else changed the shardlet: `conflict`, and nothing is changed.
 */
export async function fenceForChange(
  driver: HostDriver,
  sourceIds: readonly string[],
  state: string,
  newEpochs: ReadonlyMap<string, number>,
): Promise<void> {
  const ids = [...sourceIds].sort();
  const epochs = ids.map((id) => {
    const epoch = newEpochs.get(id);
    if (epoch === undefined) throw new ShardcastError("internal", `no new epoch given for shardlet ${id}`);
    return epoch;
  });
  const rows = await lockedFenceUpdate(
    driver,
    `WITH t AS (
       SELECT * FROM unnest($1::text[], $3::int[]) AS t(id, epoch)
     ), lk AS (
       SELECT shardlet_id, epoch, state FROM sc_fence WHERE shardlet_id = ANY($1::text[]) ORDER BY shardlet_id FOR UPDATE
     ), ok AS (
       SELECT NOT EXISTS (
         SELECT 1 FROM t LEFT JOIN lk ON lk.shardlet_id = t.id
         WHERE lk.shardlet_id IS NULL OR lk.epoch > t.epoch OR (lk.epoch = t.epoch AND lk.state <> $2 AND lk.state <> 'active')
       ) AS ok
     ), u AS (
       UPDATE sc_fence AS f SET epoch = t.epoch, state = $2, updated_at = now()
       FROM t
       WHERE f.shardlet_id = t.id AND (f.epoch, f.state) IS DISTINCT FROM (t.epoch, $2) AND (SELECT ok FROM ok)
       RETURNING f.shardlet_id
     )
     SELECT shardlet_id, epoch, state FROM lk`,
    [ids, state, epochs],
  );
  ids.forEach((id, i) => {
    const row = rows.get(id);
    const epoch = epochs[i]!;
    if (!row) throw new ShardcastError("internal", `shardlet ${id} has no fence row on its host`);
    if (row.epoch > epoch) {
      throw new ShardcastError("conflict", `fence of shardlet ${id} is at epoch ${row.epoch}, above ${epoch}: it was changed by another job`, {
        shardletId: id,
      });
    }
    if (row.epoch === epoch && row.state !== state && row.state !== "active") {
      throw new ShardcastError("conflict", `fence of shardlet ${id} is ${row.state} at epoch ${epoch}`, { shardletId: id });
    }
  });
}

/**
 * The switch of a split or merge on the host, in one statement: the children's fences become
 * `active` (writes at their epoch now pass) and the sources' fences `retired` (nothing passes them
 * any more), or `sealed` for a hand-off's source (nothing passes it; its rows stay and are read as
 * history). Nothing changes unless every child is pending (or already active) and every source has
 * its fence row. Idempotent.
 */
export async function switchFences(
  driver: HostDriver,
  change: { activate: readonly string[]; retire: readonly string[]; seal?: readonly string[] },
): Promise<void> {
  const seal = change.seal ?? [];
  const all = [...change.activate, ...change.retire, ...seal].sort();
  const rows = await lockedFenceUpdate(
    driver,
    `WITH lk AS (
       SELECT shardlet_id, epoch, state FROM sc_fence WHERE shardlet_id = ANY($4::text[]) ORDER BY shardlet_id FOR UPDATE
     ), ok AS (
       SELECT NOT EXISTS (
         SELECT 1 FROM unnest($1::text[]) AS a(id) LEFT JOIN lk ON lk.shardlet_id = a.id
         WHERE lk.shardlet_id IS NULL OR lk.state NOT IN ('pending', 'active')
       ) AND NOT EXISTS (
         SELECT 1 FROM unnest($2::text[] || $3::text[]) AS r(id) LEFT JOIN lk ON lk.shardlet_id = r.id WHERE lk.shardlet_id IS NULL
       ) AS ok
     ), u AS (
       UPDATE sc_fence AS f
       SET state = CASE WHEN f.shardlet_id = ANY($1::text[]) THEN 'active' WHEN f.shardlet_id = ANY($2::text[]) THEN 'retired' ELSE 'sealed' END,
           updated_at = now()
       WHERE (SELECT ok FROM ok) AND (
         (f.shardlet_id = ANY($1::text[]) AND f.state = 'pending')
         OR (f.shardlet_id = ANY($2::text[]) AND f.state <> 'retired')
         OR (f.shardlet_id = ANY($3::text[]) AND f.state NOT IN ('sealed', 'retired'))
       )
       RETURNING f.shardlet_id
     )
     SELECT shardlet_id, epoch, state FROM lk`,
    [change.activate, change.retire, seal, all],
  );
  for (const id of change.activate) {
    const row = rows.get(id);
    if (!row) throw new ShardcastError("internal", `new shardlet ${id} has no fence row on its host`);
    if (row.state !== "pending" && row.state !== "active") {
      throw new ShardcastError("conflict", `fence of new shardlet ${id} is ${row.state}, not pending`, { shardletId: id });
    }
  }
  for (const id of [...change.retire, ...seal]) {
    if (!rows.has(id)) throw new ShardcastError("internal", `shardlet ${id} has no fence row on its host`);
  }
}
