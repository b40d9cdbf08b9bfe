import pg from "pg";
import { ShardcastError, type StoredEvent } from "@shardcast/core";
import { safeMessage } from "../errors.ts";
import type {
  FencedWrite,
  FencedWriteResult,
  HostBatchWrite,
  OverflowRow,
  OverflowWrite,
  ReadByKeyQuery,
  ReadByPositionQuery,
  ShardletTotals,
} from "./types.ts";

export interface HostDriverOptions {
  /** Most connections to this host (default 10). */
  poolSize?: number;
  /** Server-side statement_timeout for every connection, in ms (default 10 s). */
  statementTimeoutMs?: number;
  /** Give up connecting after this long, in ms (default 5 s). */
  connectTimeoutMs?: number;
  /** Called when an idle pooled connection fails (the pool replaces it). */
  onError?: (err: Error) => void;
}

/** A shardlet's fence on its host: writes succeed only at this epoch while `active`. */
export interface FenceState {
  shardletId: string;
  streamId: string;
  epoch: number;
  state: string;
  lo: number | null;
  hi: number | null;
}

export interface FenceInput {
  shardletId: string;
  streamId: string;
  epoch: number;
  state: string;
  lo?: number | null;
  hi?: number | null;
}

export interface HostServerStats {
  /** pg_database_size of the host database. */
  sizeBytes: number;
  /** Backends connected to the host database (all clients, not only this pool). */
  connections: number;
}

/**
 * The hot path: one statement per host per batch, whatever the number of shardlets in it. Each
 * shardlet's fence row is share-locked at the epoch the writer routed with, so an epoch raise
 * (`setFence`, which takes the row lock) waits for writes in flight, and writes that arrive after
 * it store nothing for that shardlet. SKIP LOCKED: a fence row whose epoch is being raised right
 * now counts as fenced instead of making the whole statement (every other shardlet of the host in
 * this batch) wait for the change; the writer sends those events to the overflow log. Duplicate event ids are skipped by the partial unique
 * index; accounting goes to the append-only delta table in the same statement.
 */
const fencedWriteSql = (onConflict: string) => `
WITH f AS (
  SELECT shardlet_id FROM sc_fence
  WHERE (shardlet_id, epoch) IN (SELECT * FROM unnest($1::text[], $2::int[])) AND state = 'active'
  FOR SHARE SKIP LOCKED
), ins AS (
  INSERT INTO sc_events (stream_id, seq, shardlet_id, key, key_hash, event_id, type, ts, payload, size_bytes)
  SELECT $3, t.seq, t.shardlet_id, t.key, t.key_hash, t.event_id, t.type, to_timestamp(t.ts_ms / 1000.0), t.payload::jsonb, t.size_bytes
  FROM unnest($4::bigint[], $5::text[], $6::text[], $7::bigint[], $8::text[], $9::text[], $10::float8[], $11::text[], $12::int[])
    AS t(seq, shardlet_id, key, key_hash, event_id, type, ts_ms, payload, size_bytes)
  WHERE t.shardlet_id IN (SELECT shardlet_id FROM f)
  ${onConflict}
  RETURNING shardlet_id, size_bytes
), st AS (
  INSERT INTO sc_stat_delta (shardlet_id, events, bytes)
  SELECT shardlet_id, count(*), sum(size_bytes) FROM ins GROUP BY shardlet_id
)
SELECT (SELECT coalesce(array_agg(shardlet_id), '{}') FROM f) AS fenced_ok, (SELECT count(*) FROM ins)::int AS inserted`;

/** Producers' writes: a repeated event id is skipped (idempotency); anything else is an error. */
const FENCED_WRITE = {
  name: "sc_fenced_write_v2",
  text: fencedWriteSql("ON CONFLICT (stream_id, event_id) WHERE event_id IS NOT NULL DO NOTHING"),
};
/** Drains re-deliver rows after a crash: skipping on any unique key (seq or id) makes them idempotent. */
const DRAIN_WRITE = { name: "sc_drain_write_v1", text: fencedWriteSql("ON CONFLICT DO NOTHING") };

const OVERFLOW_APPEND_SQL = `
INSERT INTO sc_overflow (shard_id, stream_id, seq, shardlet_id, key, key_hash, event_id, type, ts, payload, size_bytes)
SELECT t.shard_id, $1, t.seq, t.shardlet_id, t.key, t.key_hash, t.event_id, t.type, to_timestamp(t.ts_ms / 1000.0), t.payload::jsonb, t.size_bytes
FROM unnest($2::text[], $3::bigint[], $4::text[], $5::text[], $6::bigint[], $7::text[], $8::text[], $9::float8[], $10::text[], $11::int[])
  AS t(shard_id, seq, shardlet_id, key, key_hash, event_id, type, ts_ms, payload, size_bytes)
ON CONFLICT (stream_id, seq) DO NOTHING`;


/** Share locks of a writer and an epoch raise over several rows can deadlock; PostgreSQL aborts one side. */
const RETRYABLE_SQL_STATES = new Set(["40P01", "40001"]);

const EVENT_COLUMNS = `stream_id, seq, shardlet_id, key, event_id, type, (extract(epoch FROM ts) * 1000)::float8 AS ts_ms, payload`;

interface EventRow {
  stream_id: string;
  seq: string;
  shardlet_id: string;
  key: string;
  event_id: string | null;
  type: string | null;
  ts_ms: number;
  payload: unknown;
}

function toStoredEvent(r: EventRow): StoredEvent {
  return {
    streamId: r.stream_id,
    seq: Number(r.seq),
    shardletId: r.shardlet_id,
    key: r.key,
    id: r.event_id,
    type: r.type,
    ts: Math.round(r.ts_ms),
    payload: r.payload,
  };
}

function toNumberOrNull(v: string | number | null): number | null {
  return v === null ? null : Number(v);
}

const UNAVAILABLE_CODES = new Set(["ECONNREFUSED", "ECONNRESET", "ETIMEDOUT", "ENOTFOUND", "EHOSTUNREACH", "EPIPE", "57P01", "57P02", "57P03", "57014", "53300"]);

/** Connection loss and timeouts become `unavailable`; SQL errors keep their original form. */
export function hostError(err: unknown, what: string): unknown {
  if (err instanceof ShardcastError) return err;
  const code = typeof err === "object" && err !== null ? (err as { code?: unknown }).code : undefined;
  const message = err instanceof Error ? err.message : "";
  const lost =
    (typeof code === "string" && (UNAVAILABLE_CODES.has(code) || code.startsWith("08"))) ||
    /Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error/i.test(message);
  if (!lost) return err;
  return new ShardcastError("unavailable", `storage host unavailable during ${what}: ${safeMessage(err)}`, undefined, { cause: err });
}

/** One storage host: a pg pool and the host-storage statements. */
/**
 * The parameters of the fenced batch statements (fast path, drain and shadow writes): the fences
 * (shardlet ids and epochs), the stream, then one array per column. `withId` counts events that
 * carry an idempotency id (none: no duplicate lookup is needed).
 */
export function batchWriteValues(w: HostBatchWrite): { values: unknown[]; withId: number } {
  let n = 0;
  for (const part of w.parts) n += part.events.length;
  const seqs = new Array<number>(n);
  const shardletIds = new Array<string>(n);
  const keys = new Array<string>(n);
  const hashes = new Array<number>(n);
  const ids = new Array<string | null>(n);
  const types = new Array<string | null>(n);
  const tss = new Array<number>(n);
  const payloads = new Array<string>(n);
  const sizes = new Array<number>(n);
  let i = 0;
  let withId = 0;
  for (const part of w.parts) {
    for (const e of part.events) {
      seqs[i] = e.seq;
      shardletIds[i] = part.shardletId;
      keys[i] = e.key;
      hashes[i] = e.keyHash;
      ids[i] = e.id;
      types[i] = e.type;
      tss[i] = e.ts;
      payloads[i] = e.payloadJson;
      sizes[i] = e.sizeBytes;
      if (e.id !== null) withId++;
      i++;
    }
  }
  const values = [w.parts.map((p) => p.shardletId), w.parts.map((p) => p.epoch), w.streamId, seqs, shardletIds, keys, hashes, ids, types, tss, payloads, sizes];
  return { values, withId };
}

export class HostDriver {
  private readonly pool: pg.Pool;
  private closed = false;

  constructor(dsn: string, opts: HostDriverOptions = {}) {
    this.pool = new pg.Pool({
      connectionString: dsn,
      max: opts.poolSize ?? 10,
      statement_timeout: opts.statementTimeoutMs ?? 10_000,
      connectionTimeoutMillis: opts.connectTimeoutMs ?? 5_000,
      idleTimeoutMillis: 30_000,
      application_name: "shardcast",
    });
    // Without a listener an idle connection's error (host restart) would crash the process.
    this.pool.on("error", (err) => opts.onError?.(err));
  }

  private async run<R extends pg.QueryResultRow>(what: string, config: pg.QueryConfig): Promise<pg.QueryResult<R>> {
    if (this.closed) throw new ShardcastError("unavailable", "host driver is closed");
    try {
      return await this.pool.query<R>(config);
    } catch (err) {
      throw hostError(err, what);
    }
  }

  async fencedWrite(w: FencedWrite): Promise<FencedWriteResult> {
    const [result] = await this.fencedWriteBatch({ streamId: w.streamId, parts: [w] });
    return result!;
  }

  /** Writes several shardlets' events in one statement; results are aligned with `w.parts`. */
  fencedWriteBatch(w: HostBatchWrite): Promise<FencedWriteResult[]> {
    return this.writeBatch(w, FENCED_WRITE);
  }

  /**
   * Writes drained overflow rows into their (current) shardlets, fenced like producer writes.
   * Rows already there (same seq or id) are skipped, so a drain interrupted after this write and
   * before the rows were marked drained can simply run again.
   */
  drainWrite(w: HostBatchWrite): Promise<FencedWriteResult[]> {
    return this.writeBatch(w, DRAIN_WRITE);
  }

  private async writeBatch(w: HostBatchWrite, statement: { name: string; text: string }): Promise<FencedWriteResult[]> {
    const { values, withId } = batchWriteValues(w);
    const config: pg.QueryConfig = { ...statement, values };
    let res: pg.QueryResult<{ fenced_ok: string[]; inserted: number }> | undefined;
    for (let attempt = 1; !res; attempt++) {
      try {
        res = await this.run<{ fenced_ok: string[]; inserted: number }>("fenced write", config);
      } catch (err) {
        const code = (err as { code?: unknown }).code;
        if (attempt >= 3 || typeof code !== "string" || !RETRYABLE_SQL_STATES.has(code)) throw err;
      }
    }
    const row = res.rows[0];
    const passed = new Set(row?.fenced_ok ?? []);
    const expected = w.parts.reduce((sum, p) => sum + (passed.has(p.shardletId) ? p.events.length : 0), 0);
    const inserted = row?.inserted ?? 0;
    const duplicates = inserted === expected || withId === 0 ? null : await this.findDuplicates(w, passed);
    return Promise.all(
      w.parts.map(async (part): Promise<FencedWriteResult> => {
        if (!passed.has(part.shardletId)) {
          const fence = await this.getFence(part.shardletId);
          return { ok: false, reason: "fenced", currentEpoch: fence?.epoch ?? null, currentState: fence?.state ?? null };
        }
        const dups: Array<{ index: number; seq: number }> = [];
        if (duplicates) {
          part.events.forEach((e, index) => {
            const seq = e.id === null ? undefined : duplicates.get(e.id);
            if (seq !== undefined && seq !== e.seq) dups.push({ index, seq });
          });
        }
        return { ok: true, inserted: part.events.length - dups.length, duplicates: dups };
      }),
    );
  }

  /**
   * The fallback write: appends events to their shard's overflow log on this host (the shard's
   * home host) in one statement, unfenced, so producers are acknowledged while a job holds the
   * shardlet. The job that holds the lock drains them into the right shardlet.
   */
  async appendOverflow(w: OverflowWrite): Promise<void> {
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
    await this.run("overflow append", {
      name: "sc_overflow_append_v1",
      text: OVERFLOW_APPEND_SQL,
      values: [w.streamId, cols.shardIds, cols.seqs, cols.shardletIds, cols.keys, cols.hashes, cols.ids, cols.types, cols.tss, cols.payloads, cols.sizes],
    });
  }

  /** Undrained overflow rows of a stream with key hash in [lo, hi), oldest first. */
  async overflowChunk(streamId: string, lo: number, hi: number, limit: number): Promise<OverflowRow[]> {
    const res = await this.run<{
      seq: string;
      shardlet_id: string;
      key: string;
      key_hash: string;
      event_id: string | null;
      type: string | null;
      ts_ms: number;
      payload_json: string;
      size_bytes: number;
    }>("overflow read", {
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

  /** Marks overflow rows as drained (kept for the purge grace period, see purgeDrainedOverflow). */
  async markOverflowDrained(streamId: string, seqs: readonly number[]): Promise<void> {
    if (seqs.length === 0) return;
    await this.run("overflow mark", {
      text: "UPDATE sc_overflow SET drained_at = now() WHERE stream_id = $1 AND seq = ANY($2::bigint[]) AND drained_at IS NULL",
      values: [streamId, seqs],
    });
  }

  /** Deletes rows drained more than `olderThanMs` ago; returns how many. */
  async purgeDrainedOverflow(olderThanMs: number): Promise<number> {
    const res = await this.run("overflow purge", {
      text: "DELETE FROM sc_overflow WHERE drained_at IS NOT NULL AND drained_at < now() - make_interval(secs => $1::float8 / 1000.0)",
      values: [olderThanMs],
    });
    return res.rowCount ?? 0;
  }

  /** Undrained overflow rows of a stream, optionally within [lo, hi). */
  async countOverflow(streamId: string, lo = 0, hi = 2 ** 32): Promise<number> {
    const res = await this.run<{ n: number }>("overflow count", {
      text: "SELECT count(*)::float8 AS n FROM sc_overflow WHERE stream_id = $1 AND key_hash >= $2 AND key_hash < $3 AND drained_at IS NULL",
      values: [streamId, lo, hi],
    });
    return res.rows[0]?.n ?? 0;
  }

  /** Stored seq of every id in the parts that passed their fence (duplicates differ from ours). */
  private async findDuplicates(w: HostBatchWrite, passed: ReadonlySet<string>): Promise<Map<string, number>> {
    const ids = new Set<string>();
    for (const part of w.parts) {
      if (!passed.has(part.shardletId)) continue;
      for (const e of part.events) if (e.id !== null) ids.add(e.id);
    }
    const res = await this.run<{ event_id: string; seq: string }>("duplicate lookup", {
      text: "SELECT event_id, seq FROM sc_events WHERE stream_id = $1 AND event_id = ANY($2::text[])",
      values: [w.streamId, [...ids]],
    });
    return new Map(res.rows.map((r) => [r.event_id, Number(r.seq)]));
  }

  /**
   * Sets a shardlet's fence. The upsert takes the row lock, so it waits for fenced writes in
   * flight; writes that come after it see the new epoch. Epochs never go down: a stale caller's
   * lower epoch is not applied (`applied: false`, the current fence is returned).
   */
  async setFence(
    shardletId: string,
    streamId: string,
    epoch: number,
    state: string,
    range?: { lo: number; hi: number },
  ): Promise<FenceState & { applied: boolean }> {
    const res = await this.run<FenceRow>("fence update", {
      text: `INSERT INTO sc_fence AS f (shardlet_id, stream_id, epoch, state, lo, hi, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, now())
             ON CONFLICT (shardlet_id) DO UPDATE
               SET epoch = excluded.epoch, state = excluded.state,
                   lo = coalesce(excluded.lo, f.lo), hi = coalesce(excluded.hi, f.hi), updated_at = now()
               WHERE f.epoch <= excluded.epoch
             RETURNING ${FENCE_COLUMNS}`,
      values: [shardletId, streamId, epoch, state, range?.lo ?? null, range?.hi ?? null],
    });
    const row = res.rows[0];
    if (row) return { ...toFence(row), applied: true };
    const current = await this.getFence(shardletId);
    if (!current) throw new ShardcastError("internal", `fence of shardlet ${shardletId} vanished during update`);
    return { ...current, applied: false };
  }

  /** Sets many fences in one statement (stream creation); same never-lower rule as `setFence`. */
  async setFences(fences: readonly FenceInput[]): Promise<number> {
    if (fences.length === 0) return 0;
    const res = await this.run("fence update", {
      text: `INSERT INTO sc_fence AS f (shardlet_id, stream_id, epoch, state, lo, hi, updated_at)
             SELECT t.shardlet_id, t.stream_id, t.epoch, t.state, t.lo, t.hi, now()
             FROM unnest($1::text[], $2::text[], $3::int[], $4::text[], $5::bigint[], $6::bigint[])
               AS t(shardlet_id, stream_id, epoch, state, lo, hi)
             ON CONFLICT (shardlet_id) DO UPDATE
               SET epoch = excluded.epoch, state = excluded.state,
                   lo = coalesce(excluded.lo, f.lo), hi = coalesce(excluded.hi, f.hi), updated_at = now()
               WHERE f.epoch <= excluded.epoch`,
      values: [
        fences.map((f) => f.shardletId),
        fences.map((f) => f.streamId),
        fences.map((f) => f.epoch),
        fences.map((f) => f.state),
        fences.map((f) => f.lo ?? null),
        fences.map((f) => f.hi ?? null),
      ],
    });
    return res.rowCount ?? 0;
  }

  async getFence(shardletId: string): Promise<FenceState | null> {
    const res = await this.run<FenceRow>("fence read", {
      text: `SELECT ${FENCE_COLUMNS} FROM sc_fence WHERE shardlet_id = $1`,
      values: [shardletId],
    });
    const row = res.rows[0];
    return row ? toFence(row) : null;
  }

  async listFences(streamId?: string): Promise<FenceState[]> {
    const res = await this.run<FenceRow>("fence read", {
      text: `SELECT ${FENCE_COLUMNS} FROM sc_fence WHERE $1::text IS NULL OR stream_id = $1 ORDER BY lo NULLS LAST, shardlet_id`,
      values: [streamId ?? null],
    });
    return res.rows.map(toFence);
  }

  /** Removes fence rows (undoing a stream creation); their shardlets then accept no writes. */
  async deleteFences(shardletIds: readonly string[]): Promise<number> {
    if (shardletIds.length === 0) return 0;
    const res = await this.run("fence delete", {
      text: "DELETE FROM sc_fence WHERE shardlet_id = ANY($1::text[])",
      values: [shardletIds],
    });
    return res.rowCount ?? 0;
  }

  /** A key's events in event-time order; `fromTs` inclusive, `toTs` exclusive (epoch ms). */
  async readByKey(q: ReadByKeyQuery): Promise<StoredEvent[]> {
    const res = await this.run<EventRow>("read by key", {
      name: "sc_read_by_key_v2",
      // Events still in (or recently drained from) an overflow log on this host are part of the
      // answer: a reader merging hosts dedupes by seq.
      text: `SELECT * FROM (
               SELECT ${EVENT_COLUMNS} FROM sc_events
               WHERE stream_id = $1 AND key = $2
                 AND ($3::float8 IS NULL OR ts >= to_timestamp($3::float8 / 1000.0))
                 AND ($4::float8 IS NULL OR ts < to_timestamp($4::float8 / 1000.0))
               UNION ALL
               SELECT ${EVENT_COLUMNS} FROM sc_overflow
               WHERE stream_id = $1 AND key = $2
                 AND ($3::float8 IS NULL OR ts >= to_timestamp($3::float8 / 1000.0))
                 AND ($4::float8 IS NULL OR ts < to_timestamp($4::float8 / 1000.0))
             ) e ORDER BY ts_ms, seq LIMIT $5`,
      values: [q.streamId, q.key, q.fromTs ?? null, q.toTs ?? null, q.limit],
    });
    return res.rows.map(toStoredEvent);
  }

  /**
   * Events with afterSeq < seq <= maxSeq in sequence order, from this host's shardlets and its
   * overflow logs. An event being drained may appear in both; callers merge by seq.
   */
  async readByPosition(q: ReadByPositionQuery): Promise<StoredEvent[]> {
    const res = await this.run<EventRow>("read by position", {
      name: "sc_read_by_position_v2",
      text: `SELECT * FROM (
               (SELECT ${EVENT_COLUMNS} FROM sc_events WHERE stream_id = $1 AND seq > $2 AND seq <= $3 ORDER BY seq LIMIT $4)
               UNION ALL
               (SELECT ${EVENT_COLUMNS} FROM sc_overflow WHERE stream_id = $1 AND seq > $2 AND seq <= $3 ORDER BY seq LIMIT $4)
             ) e ORDER BY seq LIMIT $4`,
      values: [q.streamId, q.afterSeq, q.maxSeq, q.limit],
    });
    return res.rows.map(toStoredEvent);
  }

  /** The newest events of a stream on this host, newest first. */
  async recentEvents(streamId: string, limit: number): Promise<StoredEvent[]> {
    const res = await this.run<EventRow>("recent events", {
      text: `SELECT ${EVENT_COLUMNS} FROM sc_events WHERE stream_id = $1 ORDER BY seq DESC LIMIT $2`,
      values: [streamId, limit],
    });
    return res.rows.map(toStoredEvent);
  }

  async countEvents(streamId?: string): Promise<number> {
    const res = await this.run<{ n: number }>("count", {
      text: "SELECT count(*)::float8 AS n FROM sc_events WHERE $1::text IS NULL OR stream_id = $1",
      values: [streamId ?? null],
    });
    return res.rows[0]?.n ?? 0;
  }

  /**
   * Moves the accumulated write deltas into the per-shardlet totals in one statement and returns
   * the totals of every shardlet on this host. Deltas committed while it runs stay for the next fold.
   */
  async foldStats(): Promise<ShardletTotals[]> {
    const res = await this.run<{ shardlet_id: string; events: number; bytes: number }>("stats fold", {
      text: `WITH d AS (
               DELETE FROM sc_stat_delta RETURNING shardlet_id, events, bytes
             ), agg AS (
               SELECT shardlet_id, sum(events) AS events, sum(bytes) AS bytes FROM d GROUP BY shardlet_id
             ), up AS (
               INSERT INTO sc_stat_total AS t (shardlet_id, events, bytes, updated_at)
               SELECT shardlet_id, events, bytes, now() FROM agg
               ON CONFLICT (shardlet_id) DO UPDATE
                 SET events = t.events + excluded.events, bytes = t.bytes + excluded.bytes, updated_at = now()
               RETURNING shardlet_id, events, bytes
             )
             SELECT shardlet_id, events::float8 AS events, bytes::float8 AS bytes FROM up
             UNION ALL
             SELECT shardlet_id, events::float8, bytes::float8 FROM sc_stat_total
             WHERE shardlet_id NOT IN (SELECT shardlet_id FROM up)
             ORDER BY shardlet_id`,
    });
    return res.rows.map((r) => ({ shardletId: r.shardlet_id, events: r.events, bytes: r.bytes }));
  }

  async serverStats(): Promise<HostServerStats> {
    const res = await this.run<{ size_bytes: number; connections: number }>("server stats", {
      text: `SELECT pg_database_size(current_database())::float8 AS size_bytes,
                    (SELECT count(*) FROM pg_stat_activity WHERE datname = current_database())::int AS connections`,
    });
    const row = res.rows[0];
    return { sizeBytes: row?.size_bytes ?? 0, connections: row?.connections ?? 0 };
  }

  /** Round trip to the host; resolves with the latency in ms. */
  async ping(): Promise<number> {
    const started = performance.now();
    await this.run("ping", { text: "SELECT 1" });
    return performance.now() - started;
  }

  /** Runs `fn` on one pooled connection (tests and maintenance; not for the hot path). */
  async withClient<T>(fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    if (this.closed) throw new ShardcastError("unavailable", "host driver is closed");
    let client: pg.PoolClient;
    try {
      client = await this.pool.connect();
    } catch (err) {
      throw hostError(err, "connect");
    }
    try {
      return await fn(client);
    } finally {
      client.release();
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.pool.end();
  }
}

const FENCE_COLUMNS = "shardlet_id, stream_id, epoch, state, lo, hi";

interface FenceRow {
  shardlet_id: string;
  stream_id: string;
  epoch: number;
  state: string;
  lo: string | null;
  hi: string | null;
}

function toFence(r: FenceRow): FenceState {
  return {
    shardletId: r.shardlet_id,
    streamId: r.stream_id,
    epoch: r.epoch,
    state: r.state,
    lo: toNumberOrNull(r.lo),
    hi: toNumberOrNull(r.hi),
  };
}
