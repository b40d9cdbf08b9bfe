import { retryDelay, sleep, type Backoff } from "./http.ts";
import type { PollAnswer } from "./consumer-api.ts";
import type { ConsumerBatch, ConsumerOptions, ConsumerPhase } from "./consumer-options.ts";
import { groupByShardlet, toError, type MemberState } from "./consumer-state.ts";
import type { SnapshotRequest } from "./types.ts";

/** Processing figures the next poll reports to the edge (its checkpoint policy and lag view use them). */
export interface ProcessingStats {
  events: number;
  processingMs: number;
}

/**
 * Runs a poll's work for one member: the checkpoint callbacks, then the handler over each batch
 * in order per shardlet, retrying a failed run until it succeeds or the batch stops being the
 * member's to finish. What finished is recorded in the member state for the next poll's commits.
 */
export class BatchRunner {
  private stats: ProcessingStats = { events: 0, processingMs: 0 };

  constructor(
    private readonly deps: {
      opts: Pick<ConsumerOptions, "handler" | "onCheckpoint">;
      state: MemberState;
      backoff: Backoff;
      counters: { delivered: number; processed: number };
      /** Every handler run: events it processed (0 when it threw) and the time it took, ms. */
      onHandled?: (events: number, ms: number) => void;
      /** False once the member stops or its session expired: work in hand is abandoned. */
      active: () => boolean;
      signal: () => AbortSignal;
      report: (err: Error, phase: ConsumerPhase, shardletId?: string) => void;
    },
  ) {}

  /** The figures to report with the next poll (rounded as the edge takes them). */
  pendingStats(): ProcessingStats {
    return { events: this.stats.events, processingMs: Math.round(this.stats.processingMs) };
  }

  /** The edge took `sent`: only what was processed since stays to be reported. */
  reported(sent: ProcessingStats): void {
    this.stats = { events: this.stats.events - sent.events, processingMs: Math.max(0, this.stats.processingMs - sent.processingMs) };
  }

  /**
   * Snapshot requests are not acknowledged: the edge hands each one out once, and its poll body is
   * strict, so a `snapshots` field it does not know would refuse the whole poll.
   */
  async checkpoints(requests: readonly SnapshotRequest[]): Promise<void> {
    const onCheckpoint = this.deps.opts.onCheckpoint;
    if (!onCheckpoint) return;
    for (const request of requests) {
      try {
        // Run before this poll's batches: what the member processed is what it commits with this poll.
        await onCheckpoint({ ...request, processed: Math.max(request.position, this.deps.state.position(request.shardletId)) });
      } catch (err) {
        this.deps.report(toError(err), "callback", request.shardletId);
      }
    }
  }

  /** Runs the handler over the batches, in order per shardlet; says whether any had events. */
  async process(answer: PollAnswer): Promise<boolean> {
    const { state, counters } = this.deps;
    let sawEvents = false;
    for (const batch of answer.batches) {
      counters.delivered += batch.events.length;
      if (batch.events.length > 0) sawEvents = true;
    }
    for (const [shardletId, batches] of groupByShardlet(answer.batches)) {
      for (const batch of batches) {
        // A revoked shardlet's remaining batches belong to its next owner, who starts at the committed cursor.
        if (!this.deps.active() || !state.holds(shardletId, batch.generation)) break;
        // An empty batch still moves the cursor past a gap: nothing to handle, only `next` to
        // commit, and only when it moves (an idle member would otherwise commit every poll).
        if (batch.events.length === 0 && batch.next <= state.position(shardletId)) continue;
        if (batch.events.length > 0 && !(await this.handle(batch))) break;
        // Recorded even if a heartbeat revoked the shardlet meanwhile: the hand-off waits for our
        // next poll's commits, and if it did not, the edge refuses the commit as stale.
        state.finished({ shardletId, generation: batch.generation, position: batch.next }, batch.events.length);
      }
    }
    return sawEvents;
  }

  /** Runs the handler until it succeeds; false when the batch is no longer ours to finish. */
  private async handle(batch: ConsumerBatch): Promise<boolean> {
    for (let attempt = 0; ; attempt++) {
      const started = performance.now();
      let done = 0;
      try {
        await this.deps.opts.handler(batch);
        done = batch.events.length;
        this.stats.events += done;
        this.deps.counters.processed += done;
        return true;
      } catch (err) {
        this.deps.report(toError(err), "handler", batch.shardletId);
      } finally {
        const ms = performance.now() - started;
        this.stats.processingMs += ms;
        this.deps.onHandled?.(done, ms);
      }
      if (!this.deps.active() || !this.deps.state.holds(batch.shardletId, batch.generation)) return false;
      await sleep(retryDelay(attempt, this.deps.backoff), this.deps.signal());
    }
  }
}
