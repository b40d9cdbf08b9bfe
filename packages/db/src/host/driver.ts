import pg from "pg";
import { ShardcastError, type StoredEvent } from "@shardcast/core";
import { hostError } from "./host-errors.ts";
import { deleteFences, getFence, listFences, setFence, setFences, type FenceInput, type FenceState } from "./fences.ts";
import { appendOverflow, countOverflow, lowestUndrainedOverflowSeq, markOverflowDrained, overflowChunk, purgeDrainedOverflow, storedEventIds } from "./overflow.ts";
import { archiveChunk, archiveCutSeq, archivableBytes, archivedInRanges, archiveTotals, restoreChunk, sweepArchive, type ArchivedChunk, type ArchiveRange, type RangeArchiveStats, type StreamArchiveTotals } from "./archive.ts";
import { countEvents, readByKey, readByPosition, recentEvents } from "./reads.ts";
import { rangeBacklog, readRanges, type RangeBacklog, type RangeReadResult, type RangeSegment, type ReadRangesQuery } from "./range-reads.ts";
import { DRAIN_WRITE, FENCED_WRITE, foldStats, writeBatch } from "./writes.ts";
import { LayoutCache, type HostLayout } from "./layout.ts";
import { ensurePartitionsWith, missingPartitionSecond } from "./partitions.ts";
import type {
  FencedWrite,
  FencedWriteResult,
  HostBatchWrite,
  HostRun,
  KeyReadResult,
  OverflowAppendResult,
  OverflowRow,
  OverflowWrite,
  PositionReadResult,
  ReadByKeyQuery,
  ReadByPositionQuery,
  ShardletTotals,
} from "./types.ts";

export type { FenceInput, FenceState } from "./fences.ts";
export { hostError, hostRefusal, type HostRefusal } from "./host-errors.ts";
export type { HostRun } from "./types.ts";
export type { HostLayout } from "./layout.ts";
export { batchWriteValues } from "./writes.ts";

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

export interface HostServerStats {
  /** pg_database_size of the host database. */
  sizeBytes: number;
  /** Backends connected to the host database (all clients, not only this pool). */
  connections: number;
}

/** One storage host: a pg pool and the host-storage statements. */
export class HostDriver {
  private readonly pool: pg.Pool;
  private readonly onError: ((err: Error) => void) | undefined;
  private closed = false;
  private readonly run: HostRun = async <R extends pg.QueryResultRow>(what: string, config: pg.QueryConfig) => {
    if (this.closed) throw new ShardcastError("unavailable", "host driver is closed");
    try {
      return await this.pool.query<R>(config);
    } catch (err) {
      throw hostError(err, what);
    }
  };

  private readonly layouts = new LayoutCache(this.run);

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
    this.onError = opts.onError;
    this.pool.on("error", (err) => opts.onError?.(err));
  }

  /** The host's layout of the event table (see layout.ts), looked up once and kept. */
  layout = (): Promise<HostLayout> => this.layouts.get();

  /** Runs `fn` for the host's layout, once more for the other one if the host was migrated meanwhile. */
  withLayout = <T>(fn: (layout: HostLayout) => Promise<T>): Promise<T> => this.layouts.with(fn);

  /** Runs a write; when the host had no partition for a row of it (nothing was stored), makes it and runs it once more. */
  async placing<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      const at = missingPartitionSecond(err);
      if (at === undefined) throw err;
      await this.ensurePartitions([at]);
      return fn();
    }
  }

  /** Creates the missing partitions holding these stored seconds (null: now), or `ahead` spans; returns how many. */
  async ensurePartitions(seconds: ReadonlyArray<number | null>, opts: { spanSec?: number; ahead?: number } = {}): Promise<number> {
    const made = await this.withClient((c) => ensurePartitionsWith(c, seconds, opts)).catch((err: unknown) => {
      throw hostError(err, "partition creation");
    });
    return made.length;
  }

  async fencedWrite(w: FencedWrite): Promise<FencedWriteResult> {
    const [result] = await this.fencedWriteBatch({ streamId: w.streamId, parts: [w] });
    return result!;
  }

  /** Writes several shardlets' events in one statement; results are aligned with `w.parts`. */
  fencedWriteBatch(w: HostBatchWrite): Promise<FencedWriteResult[]> {
    return this.withLayout((layout) => this.placing(() => writeBatch(this.run, w, FENCED_WRITE, layout)));
  }

  /**
   * Writes drained overflow rows into their (current) shardlets, fenced like producer writes.
   * Rows already there (same seq or id) are skipped, so a drain interrupted after this write and
   * before the rows were marked drained can simply run again.
   */
  drainWrite(w: HostBatchWrite): Promise<FencedWriteResult[]> {
    return this.withLayout((layout) => this.placing(() => writeBatch(this.run, w, DRAIN_WRITE, layout)));
  }

  /**
   * The fallback write: appends events to their shard's overflow log on this host (the shard's
   * home host) in one statement, unfenced, so producers are acknowledged while a job holds the
   * shardlet. The job that holds the lock drains them into the right shardlet. An id already in
   * the log is not stored again; results (aligned with `w.parts`) give its stored position.
   */
  appendOverflow(w: OverflowWrite): Promise<OverflowAppendResult[]> {
    return appendOverflow(this.run, w);
  }

  /** Where each of `ids` is stored in the stream on this host (events or overflow log). */
  storedEventIds(streamId: string, ids: readonly string[]): Promise<Map<string, number>> {
    return this.withLayout((layout) => storedEventIds(this.run, streamId, ids, layout));
  }

  /** Undrained overflow rows of a stream with key hash in [lo, hi), oldest first. */
  overflowChunk(streamId: string, lo: number, hi: number, limit: number): Promise<OverflowRow[]> {
    return overflowChunk(this.run, streamId, lo, hi, limit);
  }

  /** Marks overflow rows as drained (kept for the purge grace period, see purgeDrainedOverflow). */
  markOverflowDrained(streamId: string, seqs: readonly number[]): Promise<void> {
    return markOverflowDrained(this.run, streamId, seqs);
  }

  /** Deletes rows drained more than `olderThanMs` ago; returns how many. */
  purgeDrainedOverflow(olderThanMs: number): Promise<number> {
    return purgeDrainedOverflow(this.run, olderThanMs);
  }

  /** Undrained overflow rows of a stream, optionally within [lo, hi). */
  countOverflow(streamId: string, lo = 0, hi = 2 ** 32): Promise<number> {
    return countOverflow(this.run, streamId, lo, hi);
  }

  /** The lowest undrained overflow position of a range up to `maxSeq`: a copy is complete only below it. */
  lowestUndrainedOverflowSeq(streamId: string, lo: number, hi: number, maxSeq: number): Promise<number | null> {
    return lowestUndrainedOverflowSeq(this.run, streamId, lo, hi, maxSeq);
  }

  /**
   * Sets a shardlet's fence. The upsert takes the row lock, so it waits for fenced writes in
   * flight; writes that come after it see the new epoch. Epochs never go down: a stale caller's
   * lower epoch is not applied (`applied: false`, the current fence is returned).
   */
  setFence(shardletId: string, streamId: string, epoch: number, state: string, range?: { lo: number; hi: number }): Promise<FenceState & { applied: boolean }> {
    return setFence(this.run, shardletId, streamId, epoch, state, range);
  }

  /** Sets many fences in one statement (stream creation); same never-lower rule as `setFence`. */
  setFences(fences: readonly FenceInput[]): Promise<number> {
    return setFences(this.run, fences);
  }

  getFence(shardletId: string): Promise<FenceState | null> {
    return getFence(this.run, shardletId);
  }

  listFences(streamId?: string): Promise<FenceState[]> {
    return listFences(this.run, streamId);
  }

  /** Removes fence rows (undoing a stream creation); their shardlets then accept no writes. */
  deleteFences(shardletIds: readonly string[]): Promise<number> {
    return deleteFences(this.run, shardletIds);
  }

  /** A key's events in event-time order; `fromTs` inclusive, `toTs` exclusive (epoch ms). */
  readByKey(q: ReadByKeyQuery): Promise<KeyReadResult> {
    return this.withLayout((layout) => readByKey(this.run, q, layout));
  }

  /**
   * Events with afterSeq < seq <= maxSeq in sequence order, from this host's shardlets and its
   * overflow logs. An event being drained may appear in both; callers merge by seq.
   */
  readByPosition(q: ReadByPositionQuery): Promise<PositionReadResult> {
    return this.withLayout((layout) => readByPosition(this.run, q, layout));
  }

  /** Events in key-hash ranges after per-range positions (a consumer's shardlets), with fence states. */
  readRanges(q: ReadRangesQuery): Promise<RangeReadResult> {
    return this.withLayout((layout) => readRanges(this.run, q, layout));
  }

  /** Events a consumer has not committed in its ranges on this host, and the oldest one's stored time. */
  rangeBacklog(q: { streamId: string; segments: readonly RangeSegment[]; scanLimit: number }): Promise<RangeBacklog> {
    return this.withLayout((layout) => rangeBacklog(this.run, q, layout));
  }

  /** The newest events of a stream on this host, newest first. */
  recentEvents(streamId: string, limit: number): Promise<StoredEvent[]> {
    return this.withLayout((layout) => recentEvents(this.run, streamId, limit, layout));
  }

  countEvents(streamId?: string): Promise<number> {
    return countEvents(this.run, streamId);
  }

  /** Archives up to `limit` of a range's oldest payloads stored before `storedBefore` (epoch ms) into one batch; null when none are left. */
  archiveChunk(q: ArchiveRange & { storedBefore: number; limit: number; afterSeq?: number; upToSeq?: number }): Promise<ArchivedChunk | null> {
    return archiveChunk(this.run, q);
  }

  /** Restores a range's archived payloads from up to `limit` batches; 0 events means none are left. */
  restoreChunk(q: ArchiveRange & { limit: number }): Promise<{ events: number; batches: number }> {
    return restoreChunk(this.run, q);
  }

  /** Drops a stream's archive batches that no row of this host needs (their range moved away). */
  sweepArchive(streamId: string): Promise<number> {
    return sweepArchive(this.run, streamId);
  }

  /** The last position of a stream on this host stored before `storedBefore` (epoch ms); 0 when none. */
  archiveCutSeq(streamId: string, storedBefore: number): Promise<number> {
    return archiveCutSeq(this.run, streamId, storedBefore);
  }

  /** Bytes of a range's unarchived payloads in (afterSeq, upToSeq], counting at most `capRows` rows. */
  archivableBytes(q: ArchiveRange & { afterSeq: number; upToSeq: number; storedBefore: number; capRows: number }): Promise<number> {
    return archivableBytes(this.run, q);
  }

  /** Archived rows and bytes per key-hash range of a stream. */
  archivedInRanges(streamId: string, ranges: ReadonlyArray<{ lo: number; hi: number }>): Promise<RangeArchiveStats[]> {
    return archivedInRanges(this.run, streamId, ranges);
  }

  /** A stream's archive batches on this host, with their size before and after compression. */
  archiveTotals(streamId: string): Promise<StreamArchiveTotals> {
    return archiveTotals(this.run, streamId);
  }

  /**
   * Moves the accumulated write deltas into the per-shardlet totals in one statement and returns
   * the totals of every shardlet on this host. Deltas committed while it runs stay for the next fold.
   */
  foldStats(): Promise<ShardletTotals[]> {
    return foldStats(this.run);
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
    // A checked-out connection has no pool listener: one the server ends between statements (a
    // restart, its database dropped) would crash the process. The pool then drops it on release.
    let broken: Error | undefined;
    const onError = (err: Error) => {
      broken = err;
      this.onError?.(err);
    };
    client.on("error", onError);
    try {
      return await fn(client);
    } finally {
      client.off("error", onError);
      client.release(broken);
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.pool.end();
  }
}
