import type { IncomingEvent } from "@shardcast/core";
import type { RouteEntry } from "./routing-cache.ts";

/** How a shadow write ended: stored (or already there), refused by the destination's fence, or failed. */
export type ShadowOutcome = "written" | "refused" | "failed";

/** What the write path reports about where events went (for counters and threshold checks). */
export interface IngestObserver {
  /** Events written on the fast path to a shardlet. */
  written(shardletId: string, events: number, bytes: number): void;
  /** Events appended to the overflow log because the shardlet was op-locked or changing. */
  fellBack(shardletId: string, events: number, streamId?: string): void;
  /** Events of a migrating shardlet written (or not) to its destination after the source stored them. */
  shadowed?(shardletId: string, hostId: string, events: number, outcome: ShadowOutcome): void;
  /**
   * Once per batch that got past validation, when it was answered: `outcomes[i]` says where
   * `events[i]` was stored (undefined: not stored, the batch failed part way), after `latencyMs`.
   */
  acked?(streamId: string, events: readonly IncomingEvent[], outcomes: ReadonlyArray<IngestedEvent | undefined>, latencyMs: number, entry: RouteEntry): void;
  /** Once per batch, whatever its fate (unknown stream and bad batches included), for the metrics. */
  answered?(stream: string, answer: BatchAnswer): void;
  /** How long the batch waited for its block of sequence numbers. */
  sequenced?(waitMs: number): void;
  /** A batch waited `waitMs` for a held op-lock's change; `released`: the change came in time (else the hold ran out). */
  held?(waitMs: number, released: boolean): void;
  /**
   * Events whose ids were looked up on other hosts before their write (a range with history or a
   * pending overflow log); `early`: the lookup ran beside the batch's request for sequence numbers.
   */
  idsLookedUp?(events: number, early: boolean): void;
  /** A shardlet's fence refused a write part: the route was stale. */
  fenceRejected?(shardletId: string, events: number): void;
}

/**
 * How a batch ended: `accepted` (stored, duplicates included), `rejected` (a 4xx: the batch or
 * its stream is at fault; resending it gets the same answer) or `failed` (a 5xx: retry).
 */
export interface BatchAnswer {
  outcome: "accepted" | "rejected" | "failed";
  /** Events in the batch as sent (0 when the body had no event list). */
  events: number;
  accepted: number;
  duplicates: number;
  latencyMs: number;
}

export interface IngestedEvent {
  seq: number;
  shardletId: string;
  duplicate: boolean;
}
