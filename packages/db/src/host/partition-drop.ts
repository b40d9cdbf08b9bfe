import type { PartRange } from "@shardcast/core";
import type { HostDriver } from "./driver.ts";
import { hostError } from "./host-errors.ts";
import { quoteIdent } from "./retention.ts";

/**
 * Expiry of whole partitions (see partitions.ts for the lock levels). A partition is detached
 * CONCURRENTLY (writes go on; PostgreSQL runs it as two transactions of its own, so not inside one
 * of ours); then in one transaction its figures are counted, the shardlets' accounting is lowered
 * by what it held (negative deltas, folded like writes) and it is dropped. A run that stops in
 * between leaves a detached table that the next run finds and finishes, never figures counted
 * twice. Its rows' ids leave later, with their whole generation (id-generations.ts).
 */

const MAX_HASH = "9223372036854775807";

/** One expiry at a time per host (a session advisory lock): two runs would detach the same partitions. */
const EXPIRY_LOCK_KEY = 0x5c_0003;

/**
 * Runs `fn` holding the host's expiry lock on a connection of its own (released when it ends, or
 * with the session if the connection is lost); null, without running it, when another run holds it.
 */
export async function withExpiryLock<T>(driver: HostDriver, fn: () => Promise<T>): Promise<T | null> {
  return driver.withClient(async (c) => {
    const got = await c.query<{ ok: boolean }>("SELECT pg_try_advisory_lock($1) AS ok", [EXPIRY_LOCK_KEY]);
    if (!got.rows[0]?.ok) return null;
    try {
      return await fn();
    } finally {
      await c.query("SELECT pg_advisory_unlock($1)", [EXPIRY_LOCK_KEY]).catch(() => undefined);
    }
  });
}

export interface DroppedFigures {
  events: number;
  bytes: number;
}

export interface DroppedPartition extends DroppedFigures {
  name: string;
  range: PartRange;
  /** Per stream: what it held of each. */
  streams: Array<{ streamId: string } & DroppedFigures>;
  /** Per shardlet whose accounting was lowered (the active fence whose range holds the rows). */
  shardlets: Array<{ shardletId: string; streamId: string } & DroppedFigures>;
}

/** Detaches a partition without blocking writes; finishes a detach a stopped run left pending. */
export async function detachPartition(driver: HostDriver, p: { name: string; detachPending: boolean }): Promise<void> {
  const name = quoteIdent(p.name);
  await driver
    .withClient(async (c) => {
      // It waits for every query that may still see the partition: longer than a statement's budget.
      await c.query("SET statement_timeout = 0");
      try {
        await c.query(`ALTER TABLE sc_events DETACH PARTITION ${name} ${p.detachPending ? "FINALIZE" : "CONCURRENTLY"}`);
      } finally {
        await c.query("RESET statement_timeout");
      }
    })
    .catch((err: unknown) => {
      throw hostError(err, "partition detach");
    });
}

/**
 * Counts a detached partition's rows, lowers the accounting by them and drops it, in one
 * transaction. One scan of the partition: its rows per stream and per active fence whose key-hash
 * range holds them (the shardlet whose totals count them).
 */
export async function dropDetachedPartition(driver: HostDriver, t: { name: string } & PartRange): Promise<DroppedPartition & { archived: string[] }> {
  const name = quoteIdent(t.name);
  return driver
    .withClient(async (c) => {
      await c.query("BEGIN");
      try {
        await c.query("SET LOCAL statement_timeout = 0");
        const res = await c.query<{ stream_id: string; shardlet_id: string | null; events: number; bytes: number; archived: boolean }>(
          `WITH agg AS MATERIALIZED (
             SELECT e.stream_id, f.shardlet_id, count(*)::float8 AS events, coalesce(sum(e.size_bytes), 0)::float8 AS bytes,
                    bool_or(e.archive_batch IS NOT NULL) AS archived
             FROM ${name} e LEFT JOIN sc_fence f
               ON f.stream_id = e.stream_id AND f.state = 'active' AND e.key_hash >= coalesce(f.lo, 0) AND e.key_hash < coalesce(f.hi, ${MAX_HASH})
             GROUP BY e.stream_id, f.shardlet_id
           ), d AS (
             INSERT INTO sc_stat_delta (shardlet_id, events, bytes)
             SELECT shardlet_id, -events::bigint, -bytes::bigint FROM agg WHERE shardlet_id IS NOT NULL
           )
           SELECT * FROM agg`,
        );
        await c.query(`DROP TABLE ${name}`);
        await c.query("COMMIT");
        const streams = new Map<string, { streamId: string } & DroppedFigures>();
        const archived = new Set<string>();
        for (const r of res.rows) {
          const s = streams.get(r.stream_id) ?? { streamId: r.stream_id, events: 0, bytes: 0 };
          s.events += r.events;
          s.bytes += r.bytes;
          streams.set(r.stream_id, s);
          if (r.archived) archived.add(r.stream_id);
        }
        const shardlets = res.rows.flatMap((r) => (r.shardlet_id === null ? [] : [{ shardletId: r.shardlet_id, streamId: r.stream_id, events: r.events, bytes: r.bytes }]));
        const all = [...streams.values()];
        return {
          name: t.name,
          range: { lo: t.lo, hi: t.hi },
          events: all.reduce((n, s) => n + s.events, 0),
          bytes: all.reduce((n, s) => n + s.bytes, 0),
          streams: all,
          shardlets,
          archived: [...archived],
        };
      } catch (err) {
        await c.query("ROLLBACK").catch(() => undefined);
        throw err;
      }
    })
    .catch((err: unknown) => {
      throw hostError(err, "partition drop");
    });
}
