import type pg from "pg";
import type { IncomingEvent, StoredEvent } from "@shardcast/core";

/**
 * One statement on a host's pool, with its errors mapped by `hostError` (what the statement files
 * run on). Declared here, below the driver, so the statement files do not import the driver that
 * imports them.
 *
 * Unprepared reads: reads of the event tables are sent without a statement name, so each run is
 * planned for the table as it is now. A prepared statement keeps the generic plan it settled on
 * after a few runs until the table is next analyzed; one settled on while a stream was young (a
 * nested loop joining every row of the stream, fine for a thousand rows) went on running against
 * hundreds of thousands of rows, and a consumer's page at the tail took the whole statement
 * timeout. Planning costs about a millisecond per read. Writes stay prepared: they insert from
 * arrays and look up the small fence table, whatever the size of the log.
 */
export type HostRun = <R extends pg.QueryResultRow = pg.QueryResultRow>(what: string, config: pg.QueryConfig) => Promise<pg.QueryResult<R>>;

/** One fenced write: events of one shardlet, each with its global sequence number. */
export interface FencedWrite {
  streamId: string;
  shardletId: string;
  /** The epoch the writer's routing table holds for the shardlet. */
  epoch: number;
  /**
   * `part`: the second (epoch) the event was first stored at, for a write that stores it again
   * elsewhere (a drain, a shadow write); absent for a new event (the host's present second).
   */
  events: ReadonlyArray<IncomingEvent & { seq: number; keyHash: number; part?: number }>;
}

/**
 * Several shardlets' fenced writes to one host in one statement: each part is checked against its
 * own fence row, so a stale part stores nothing while the others commit.
 */
export interface HostBatchWrite {
  streamId: string;
  parts: ReadonlyArray<{ shardletId: string; epoch: number; events: FencedWrite["events"] }>;
}

export type FencedWriteResult =
  /**
   * The fence row matched (shardlet active at that epoch): `duplicates` maps event index -> the
   * seq its id is stored at. `part`: the second the events were stored at (partitioned hosts), to
   * pass on to a shadow write of the same events.
   */
  | { ok: true; inserted: number; duplicates: Array<{ index: number; seq: number }>; part?: number }
  /** The fence did not match: the shardlet's epoch or state changed. Nothing was stored. */
  | { ok: false; reason: "fenced"; currentEpoch: number | null; currentState: string | null };

export interface ReadByKeyQuery {
  streamId: string;
  key: string;
  /** Event time lower bound, epoch ms, inclusive. */
  fromTs?: number;
  /** Event time upper bound, epoch ms, exclusive. */
  toTs?: number;
  /** With `fromTs`: only events after (fromTs, afterSeq) in (time, position) order, to continue a page. */
  afterSeq?: number;
  limit: number;
  /** See `ReadByPositionQuery.maxBytes`. */
  maxBytes?: number;
}

/** A host's answer to a read by key, in (time, position) order. */
export interface KeyReadResult {
  /** Every event of the host in the range up to the last one returned (copies may be left out). */
  events: StoredEvent[];
  /** The page stopped at `limit` rows, `maxBytes` or its most archive batches: the host may hold events after the last one. */
  more: boolean;
}

export interface ReadByPositionQuery {
  streamId: string;
  /** Exclusive lower bound. */
  afterSeq: number;
  /** Inclusive upper bound (the watermark). */
  maxSeq: number;
  limit: number;
  /**
   * Bytes each table's rows stop at: rows are taken while the bytes before them are under it, so
   * at least one row and the one that passes it. The bytes are the rows' `size_bytes` and, once per
   * archive batch, the compressed size of each batch they point at (it is returned whole). Absent: no bound.
   */
  maxBytes?: number;
  /** Shardlets whose fence states to return, read in the same snapshot as the rows. */
  fenceIds?: readonly string[];
}

/** A host's answer to a read by position. */
export interface PositionReadResult {
  /** Every row of the host in (afterSeq, completeTo], events and overflow copies, sorted by seq. */
  events: StoredEvent[];
  /** The answer is complete up to here: `maxSeq`, unless the page stopped at `limit` or `maxBytes`. */
  completeTo: number;
  /** With `fenceIds`: those of their fences that exist, as of the rows' snapshot. */
  fences?: Array<{ shardletId: string; state: string }>;
  /**
   * The stream's first kept position on this host, when retention has moved it: rows below it
   * have expired and are not returned, whatever `afterSeq` asked for.
   */
  start?: number;
}

export interface ShardletTotals {
  shardletId: string;
  events: number;
  bytes: number;
}

export type { StoredEvent };

/** A fallback write: events of op-locked or fenced shardlets, appended to their shard's overflow log. */
export interface OverflowWrite {
  streamId: string;
  parts: ReadonlyArray<{ shardId: string; shardletId: string; events: FencedWrite["events"] }>;
}

/** What an overflow append skipped because its id was already in the log: event index -> stored seq. */
export interface OverflowAppendResult {
  duplicates: Array<{ index: number; seq: number }>;
}

/** An undrained overflow row, with what a drain needs to write it into its shardlet. */
export interface OverflowRow {
  seq: number;
  /** The shardlet the event was routed to when it was written (it may have split since). */
  shardletId: string;
  key: string;
  keyHash: number;
  id: string | null;
  type: string | null;
  ts: number;
  payloadJson: string;
  sizeBytes: number;
  /** The second (epoch) the row was appended to the log: the drained event keeps it as its stored second. */
  part: number;
}
