/** Domain types shared by every app. Plain data: no I/O handles. */

export const ROLES = ["viewer", "operator", "admin"] as const;
export type Role = (typeof ROLES)[number];

export const HOST_STATUSES = ["active", "draining", "down"] as const;
export type HostStatus = (typeof HOST_STATUSES)[number];

/**
 * `active` takes fast-path writes. `splitting`, `merging` and `migrating` mean a job holds the
 * shardlet's op-lock and writes go to the shard's overflow log. `pending` shardlets were created by
 * a split, merge or hand-off that has not switched yet; `sealed` ones handed their writes to a
 * successor on another host and keep their history, read-only, where it was written until
 * retention drops it; `retired` ones were replaced and only remain for lineage. None of these
 * three is routed.
 */
export const SHARDLET_STATES = ["pending", "active", "splitting", "merging", "migrating", "sealed", "retired"] as const;
export type ShardletState = (typeof SHARDLET_STATES)[number];

/** States the router never sends events to (a route's history hosts come from `sealed` ones). */
export const UNROUTED_STATES: readonly ShardletState[] = ["pending", "sealed", "retired"];

/** Whether the router sends events for this state's range to the shardlet (or its overflow). */
export function isRoutedState(state: ShardletState): boolean {
  return state !== "retired" && state !== "pending" && state !== "sealed";
}

/**
 * The states whose shardlets hold a range's events exactly once. Totals (a stream's, a host's, the
 * cluster's) sum these: while a split or merge runs, its pending shardlets already carry counted
 * totals of rows their sources still carry too.
 */
export const ROUTED_STATES: readonly ShardletState[] = SHARDLET_STATES.filter(isRoutedState);

/** Size of the key-hash space: hashes are unsigned 32-bit integers in [0, HASH_SPACE). */
export const HASH_SPACE = 2 ** 32;

/**
 * What every shardlet shape shares (router, planner, simulator, worker jobs, console): which
 * stream and shard it belongs to, its key-hash range and the host that stores it. `lo` inclusive,
 * `hi` exclusive, both in [0, 2^32].
 */
export interface ShardletBase {
  id: string;
  streamId: string;
  shardId: string;
  lo: number;
  hi: number;
  hostId: string;
}

/** A shardlet with the state and epoch its fence rows carry: what writers and jobs are checked against. */
export interface FencedShardlet extends ShardletBase {
  state: ShardletState;
  epoch: number;
}

/** A shardlet as the router sees it. */
export interface ShardletRoute extends FencedShardlet {
  /**
   * While the shardlet is being migrated (copying to verifying, until its mapping switches), the
   * destination host: writers also write its events there, readers also read there.
   */
  shadowHostId?: string | null;
  /** Read replicas of the shardlet's range on other hosts (consumers' range reads only). */
  replicas?: readonly ReplicaRoute[];
  /**
   * Its range may hold rows in its shard's overflow log that are not drained into it yet: the
   * write path looks an event's id up in that log before storing it on the fast path, since the
   * events table's idempotency index does not cover the log.
   */
  overflowPending?: boolean;
  /**
   * Hosts other than its own that hold history of its range: sealed predecessors left there by
   * hand-offs, until retention drops them. Readers read these hosts too (by key, by position and
   * by range); the write path looks producers' event ids up there, so a resend after a hand-off is
   * still stored once.
   */
  historyHostIds?: readonly string[];
}

/**
 * A read replica as readers see it: `verifiedSeq` is a hint (it only rises, and the replica caps
 * every read at its own verified position in the read's snapshot), used to pick a replica only for
 * reads it can answer.
 */
export interface ReplicaRoute {
  id: string;
  hostId: string;
  verifiedSeq: number;
}

export interface ShardRange {
  id: string;
  streamId: string;
  index: number;
  lo: number;
  hi: number;
  homeHostId: string;
}

/** An event after validation and key extraction, before routing. */
export interface IncomingEvent {
  key: string;
  /** Optional producer-chosen id; a repeated id within a stream is stored once. */
  id: string | null;
  type: string | null;
  /** Event time in epoch milliseconds (defaults to the edge's clock). */
  ts: number;
  /** The payload serialized once, as stored. */
  payloadJson: string;
  /**
   * The value `payloadJson` serializes, when the caller still holds it (the edge, from the request
   * it validated): readers of fields after the ack (the data profiler) use it instead of parsing
   * the text again. Never stored or sent on; absent, they parse `payloadJson`.
   */
  payload?: unknown;
  /** Bytes of the stored event (payload + key + type + id), used for limits and accounting. */
  sizeBytes: number;
}

/** An event as stored on a host and returned to readers. */
export interface StoredEvent {
  streamId: string;
  seq: number;
  shardletId: string;
  key: string;
  id: string | null;
  type: string | null;
  ts: number;
  payload: unknown;
}
