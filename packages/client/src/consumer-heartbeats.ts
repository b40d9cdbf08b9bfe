import { asClientError } from "./errors.ts";
import type { GroupApi, PollAnswer } from "./consumer-api.ts";
import type { MemberTelemetry } from "./consumer-telemetry.ts";
import type { ConsumerPhase } from "./consumer-options.ts";
import { HeartbeatTimer, type Notifier } from "./consumer-state.ts";

/**
 * A member's heartbeats: sent while its handler or its callbacks run (a poll counts as contact),
 * one at a time, each answer reconciling the member's assignments unless a poll spoke since.
 */
export class Heartbeats {
  /** Set by a heartbeat answered 404: the rest of the current poll's work is dropped. */
  expired = false;
  /** While leaving, what was held is already revoked: heartbeats only keep the session for the leave's commits. */
  leaving = false;
  private intervalMs = 5000;
  private lastContactAt = 0;
  private beating = false;
  /**
   * Bumped when a poll or the leave is sent. A heartbeat answer that comes back after that lists
   * older assignments than the poll's, and reconciling it would hand back shardlets given away.
   */
  private contactSeq = 0;
  private readonly timer = new HeartbeatTimer(
    () => this.lastContactAt + this.intervalMs,
    () => this.intervalMs,
    () => this.beat(),
  );

  constructor(
    private readonly deps: {
      api: GroupApi;
      requestTimeoutMs: number;
      memberId: () => string | null;
      /** What the next heartbeat carries about the member's process (undefined: nothing). */
      telemetry: () => MemberTelemetry | undefined;
      reconcile: (list: PollAnswer["assignments"]) => void;
      report: (err: Error, phase: ConsumerPhase) => void;
    },
  ) {}

  start(): void {
    this.timer.start();
  }

  stop(): void {
    this.timer.stop();
  }

  /** The edge answered (a join, a poll): the next heartbeat is due an interval from now. */
  touched(intervalMs?: number): void {
    this.lastContactAt = Date.now();
    if (intervalMs !== undefined) this.intervalMs = intervalMs;
  }

  /** A poll or the leave is on its way: heartbeat answers still out speak for older assignments. */
  sending(): void {
    this.contactSeq++;
  }

  private async beat(): Promise<void> {
    const memberId = this.deps.memberId();
    if (this.beating || memberId === null) return;
    this.beating = true;
    const seq = this.contactSeq;
    try {
      // A stalled heartbeat holds back the next one (one at a time): left to the full request
      // timeout (30 s by default, twice the default session), a single lost request would cost the
      // session. Given up after half an interval, the next tick still comes in time.
      const answer = await this.deps.api.heartbeat(memberId, Math.min(this.deps.requestTimeoutMs, this.intervalMs / 2), this.deps.telemetry());
      if (memberId !== this.deps.memberId() || seq !== this.contactSeq) return;
      this.touched(answer.heartbeatIntervalMs);
      if (!this.leaving) this.deps.reconcile(answer.assignments);
    } catch (thrown) {
      if (memberId !== this.deps.memberId()) return;
      const err = asClientError(thrown);
      this.deps.report(err, "heartbeat");
      // A poll answered since then speaks for the session more recently than this heartbeat.
      if (err.status === 404 && seq === this.contactSeq) this.expired = true;
    } finally {
      this.beating = false;
    }
  }
}

/**
 * The caller's onAssigned/onRevoked calls, run one at a time in order. They are waited for with
 * heartbeats running, as a handler is: a callback slower than the session would otherwise cost
 * the session (and, on stop, the leave's commits).
 */
export class Callbacks {
  constructor(
    private readonly notifier: Notifier,
    private readonly heartbeats: Heartbeats,
  ) {}

  queue(fn: () => void | Promise<void>): void {
    this.notifier.queue(fn);
  }

  async settled(): Promise<void> {
    if (this.notifier.idle) return;
    this.heartbeats.start();
    try {
      await this.notifier.settled();
    } finally {
      this.heartbeats.stop();
    }
  }
}
