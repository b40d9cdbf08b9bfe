import type { IncomingEvent, StoredEvent } from "@shardcast/core";

/** One fenced write: events of one shardlet, each with its global sequence number. */
export interface FencedWrite {
  streamId: string;
  shardletId: string;
  /** The epoch the writer's routing table holds for the shardlet. */
  epoch: number;
  events: ReadonlyArray<IncomingEvent & { seq: number; keyHash: number }>;
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
  /** The fence row matched (shardlet active at that epoch): `stored` maps event index -> seq. */
  | { ok: true; inserted: number; duplicates: Array<{ index: number; seq: number }> }
  /** The fence did not match: the shardlet's epoch or state changed. Nothing was stored. */
  | { ok: false; reason: "fenced"; currentEpoch: number | null; currentState: string | null };

export interface ReadByKeyQuery {
  streamId: string;
  key: string;
  /** Event time lower bound, epoch ms, inclusive. */
  fromTs?: number;
  /** Event time upper bound, epoch ms, exclusive. */
  toTs?: number;
  limit: number;
}

export interface ReadByPositionQuery {
  streamId: string;
  /** Exclusive lower bound. */
  afterSeq: number;
  /** Inclusive upper bound (the watermark). */
  maxSeq: number;
  limit: number;
}

export interface ShardletTotals {
  shardletId: string;
  events: number;
  bytes: number;
}

export type { StoredEvent };
