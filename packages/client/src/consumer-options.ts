import type { ShardcastClientError } from "./errors.ts";
import type { FetchLike } from "./http.ts";
import type { Batch, CheckpointRequest } from "./types.ts";

/** What the handler gets: one shardlet's events, in sequence order. */
export type ConsumerBatch = Batch;

export interface ConsumerOptions {
  url: string;
  /** An API key allowed to consume from `stream`. */
  apiKey: string;
  stream: string;
  group: string;
  /** A name shown in the group's view (default: none). */
  name?: string;
  /** 3,000..300,000 ms (the edge's default: 15,000). */
  sessionTimeoutMs?: number;
  /** Where a new group starts (the edge's default: "earliest"). */
  start?: "earliest" | "latest";
  /** Events per poll, 1..1000. Default 500. */
  pollLimit?: number;
  /** How long the edge may hold a poll open waiting for events, 0..10,000 ms. Default 0. */
  maxWaitMs?: number;
  /** Pause after a poll without events, doubled up to `maxIdleWaitMs`. Default 50 ms. */
  idleWaitMs?: number;
  /** Default 1,000 ms. */
  maxIdleWaitMs?: number;
  /** Backoff for failed requests and failed handler runs. Defaults 100 ms and 5,000 ms. */
  retryBaseMs?: number;
  retryMaxMs?: number;
  requestTimeoutMs?: number;
  fetch?: FetchLike;
  /**
   * Report the process's CPU, memory, event-loop lag and the handler's processing rate with polls
   * and heartbeats (default true). The edge weighs members by the processing rate when it assigns
   * shardlets; a member that reports none is weighed as a typical member.
   */
  telemetry?: boolean;
  /**
   * Processes one batch. Resolving commits it (at the next poll); throwing retries the same batch
   * after a backoff, so nothing is skipped. Runs one batch at a time, in order per shardlet.
   */
  handler: (batch: ConsumerBatch) => Promise<void>;
  onAssigned?: (shardletIds: string[]) => void | Promise<void>;
  /** The shardlets left this member (rebalance, session loss or stop); their unfinished batches are dropped. */
  onRevoked?: (shardletIds: string[]) => void | Promise<void>;
  /**
   * The edge made `position` a durable checkpoint: snapshot the member's own state, with
   * `processed`, the position it covers (the member may be past the checkpoint by then). After a
   * restore from the checkpoint, events at or below `processed` come again: skip them.
   */
  onCheckpoint?: (request: CheckpointRequest) => void | Promise<void>;
  /**
   * May be async; what it returns is not used, and what it throws or rejects with is ignored (any
   * reporter fits: one that returns what it pushed, an async one).
   */
  onError?: (err: ShardcastClientError | Error, context: { phase: ConsumerPhase; shardletId?: string }) => unknown;
}

export type ConsumerPhase = "join" | "poll" | "heartbeat" | "handler" | "callback" | "leave";

export interface ConsumerMetrics {
  memberId: string | null;
  assignments: string[];
  /** Events received in polls. */
  delivered: number;
  /** Events whose handler run resolved. */
  processed: number;
  /** Events covered by commits the edge accepted. */
  committed: number;
  /** Changes of the assignment seen (the first assignment included). */
  rebalances: number;
  errors: number;
  /** Epoch ms of the last answered poll. */
  lastPollAt: number | null;
}
