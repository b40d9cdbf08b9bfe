import { asClientError, ShardcastClientError } from "./errors.ts";
import { BatchRunner } from "./consumer-batches.ts";
import { endpoint, retryDelay, sleep, type Backoff } from "./http.ts";
import { GroupApi, type PollAnswer } from "./consumer-api.ts";
import type { ConsumerMetrics, ConsumerOptions, ConsumerPhase } from "./consumer-options.ts";
import { HeartbeatTimer, MemberState, Notifier } from "./consumer-state.ts";

export type { ConsumerBatch, ConsumerMetrics, ConsumerOptions, ConsumerPhase } from "./consumer-options.ts";

/**
 * One member of a consumer group: joins, polls, runs the handler per batch, commits what it
 * finished with the next poll, heartbeats while the handler runs, and follows rebalances.
 * Delivery is at least once; see `exactlyOnce` for processing that must happen once.
 */
export class ShardcastConsumer {
  private readonly api: GroupApi;
  private readonly requestTimeoutMs: number;
  private readonly backoff: Backoff;
  private readonly state = new MemberState();
  private readonly notifier: Notifier;
  private readonly counters = { delivered: 0, processed: 0, committed: 0, rebalances: 0, lastPollAt: null as number | null };
  private memberId: string | null = null;
  /** Set by a heartbeat answered 404: the rest of the current poll's work is dropped. */
  private expired = false;
  private heartbeatMs = 5000;
  private lastContactAt = 0;
  private readonly heartbeats = new HeartbeatTimer(
    () => this.lastContactAt + this.heartbeatMs,
    () => this.heartbeatMs,
    () => this.heartbeat(),
  );
  private heartbeating = false;
  /**
   * Bumped when a poll or the leave is sent. A heartbeat answer that comes back after that lists
   * older assignments than the poll's, and reconciling it would hand back shardlets given away.
   */
  private contactSeq = 0;
  /** While leaving, what was held is already revoked: heartbeats only keep the session for the leave's commits. */
  private leaving = false;
  private pollFailures = 0;
  /** Sessions lost since the last answered poll: the rejoins back off on them. */
  private lostSessions = 0;
  private readonly batches: BatchRunner;
  private stopping = false;
  private stopper = new AbortController();
  private loop: Promise<void> | null = null;

  constructor(private readonly opts: ConsumerOptions) {
    if (!opts.stream || !opts.group) throw new TypeError("stream and group are required");
    const limit = opts.pollLimit ?? 500;
    if (!Number.isInteger(limit) || limit < 1 || limit > 1000) throw new TypeError("pollLimit must be an integer from 1 to 1000");
    const ep = endpoint(opts);
    this.requestTimeoutMs = ep.requestTimeoutMs;
    this.api = new GroupApi(ep, opts.stream, opts.group);
    this.backoff = { baseMs: opts.retryBaseMs ?? 100, maxMs: opts.retryMaxMs ?? 5000 };
    this.notifier = new Notifier(opts.onError);
    this.batches = new BatchRunner({
      opts,
      state: this.state,
      backoff: this.backoff,
      counters: this.counters,
      active: () => !this.stopping && !this.expired,
      signal: () => this.stopper.signal,
      report: (err, phase, shardletId) => this.report(err, phase, shardletId),
    });
  }

  /** Joins the group (retrying while the edge is unreachable) and starts the loop in the background. */
  async start(): Promise<void> {
    if (this.loop) throw new Error("the consumer is already started");
    this.stopping = false;
    this.stopper = new AbortController();
    await this.join();
    const loop = this.run();
    // `done` hands the same rejection to whoever awaits it; this only keeps it from being "unhandled".
    loop.catch(() => undefined);
    this.loop = loop;
  }

  /** Resolves when the loop ended after `stop()`, rejects with the error that ended it otherwise. */
  get done(): Promise<void> {
    return this.loop ?? Promise.resolve();
  }

  /** Graceful leave: finishes the batch in hand, commits, and leaves the group. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.stopper.abort();
    await this.loop?.catch(() => undefined);
    this.loop = null;
  }

  metrics(): ConsumerMetrics {
    return { memberId: this.memberId, assignments: this.state.shardlets(), ...this.counters, errors: this.notifier.errors };
  }

  private async join(): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      try {
        const { name, sessionTimeoutMs, start } = this.opts;
        const answer = await this.api.join({ name, sessionTimeoutMs, start }, this.stopper.signal);
        this.memberId = answer.memberId;
        this.expired = false;
        this.heartbeatMs = answer.heartbeatIntervalMs;
        this.touch();
        this.reconcile(answer.assignments);
        return;
      } catch (thrown) {
        if (this.stopping) throw closedError();
        const err = asClientError(thrown);
        this.report(err, "join");
        if (!err.retryable) throw err;
        await sleep(retryDelay(attempt, this.backoff, err), this.stopper.signal);
      }
    }
  }

  private async run(): Promise<void> {
    const firstIdle = this.opts.idleWaitMs ?? 50;
    let idle = firstIdle;
    try {
      while (!this.stopping) {
        if (this.memberId === null) {
          // A session lost again soon after every join (a callback or a handler the session does
          // not outlast) would otherwise become a join loop that hammers the edge.
          if (this.lostSessions > 0) await sleep(retryDelay(this.lostSessions - 1, this.backoff), this.stopper.signal);
          if (this.stopping) break;
          await this.join();
        }
        const answer = await this.poll();
        if (!answer) continue;
        this.heartbeats.start();
        try {
          await this.batches.checkpoints(answer.snapshot ?? []);
          const sawEvents = await this.batches.process(answer);
          if (this.expired) {
            this.sessionLost();
          } else if (sawEvents) {
            idle = firstIdle;
          } else if ((this.opts.maxWaitMs ?? 0) === 0 || answer.assignments.length === 0) {
            // A long poll already waited on the edge, but the edge has nothing to wait on for a
            // member holding no shardlets (more members than shardlets) and may answer it at once:
            // without this wait it would poll back to back, each poll costing database reads and
            // Redis calls.
            await sleep(idle, this.stopper.signal);
            idle = Math.min(idle * 2, this.opts.maxIdleWaitMs ?? 1000);
          }
        } finally {
          this.heartbeats.stop();
        }
      }
    } catch (err) {
      if (!this.stopping) {
        await this.leave();
        throw err;
      }
    }
    await this.leave();
  }

  /**
   * One poll carrying the finished work. Answers null when the caller should simply poll again:
   * after a refused stale commit (dropped), a lost session (rejoin), or a retryable failure (after
   * the backoff); throws what retrying cannot fix.
   */
  private async poll(): Promise<PollAnswer | null> {
    await this.callbacksSettled();
    const memberId = this.memberId!;
    const commits = this.state.pendingCommits();
    const stats = this.batches.pendingStats();
    this.contactSeq++;
    try {
      const answer = await this.api.poll(
        memberId,
        {
          ...(commits.length > 0 ? { commits } : {}),
          limit: this.opts.pollLimit ?? 500,
          maxWaitMs: this.opts.maxWaitMs ?? 0,
          stats,
        },
        this.stopper.signal,
      );
      this.pollFailures = 0;
      this.lostSessions = 0;
      this.touch();
      this.counters.lastPollAt = Date.now();
      this.counters.committed += this.state.accepted(commits);
      this.batches.reported(stats);
      if (answer.heartbeatIntervalMs !== undefined) this.heartbeatMs = answer.heartbeatIntervalMs;
      this.reconcile(answer.assignments);
      // onAssigned/onRevoked run before any batch of the new assignment is handled.
      await this.callbacksSettled();
      return answer;
    } catch (thrown) {
      // Aborted by stop(): whatever the poll carried is committed again by the leave.
      if (this.stopping) return null;
      const err = asClientError(thrown);
      this.report(err, "poll");
      if (err.status === 409) {
        this.state.dropStale(err.details);
        // Dropping our commits fixes a stale poll at once; a conflict over nothing we sent may
        // last, and is waited out like an outage rather than repeated in a tight loop.
        if (commits.length === 0) await sleep(retryDelay(this.pollFailures++, this.backoff, err), this.stopper.signal);
        return null;
      }
      if (err.status === 404) {
        this.sessionLost();
        return null;
      }
      if (!err.retryable) throw err;
      await sleep(retryDelay(this.pollFailures++, this.backoff, err), this.stopper.signal);
      return null;
    }
  }

  private async heartbeat(): Promise<void> {
    const memberId = this.memberId;
    if (this.heartbeating || memberId === null) return;
    this.heartbeating = true;
    const seq = this.contactSeq;
    try {
      // A stalled heartbeat holds back the next one (one at a time): left to the full request
      // timeout (30 s by default, twice the default session), a single lost request would cost the
      // session. Given up after half an interval, the next tick still comes in time.
      const answer = await this.api.heartbeat(memberId, Math.min(this.requestTimeoutMs, this.heartbeatMs / 2));
      if (memberId !== this.memberId || seq !== this.contactSeq) return;
      this.touch();
      if (answer.heartbeatIntervalMs !== undefined) this.heartbeatMs = answer.heartbeatIntervalMs;
      if (!this.leaving) this.reconcile(answer.assignments);
    } catch (thrown) {
      if (memberId !== this.memberId) return;
      const err = asClientError(thrown);
      this.report(err, "heartbeat");
      // A poll answered since then speaks for the session more recently than this heartbeat.
      if (err.status === 404 && seq === this.contactSeq) this.expired = true;
    } finally {
      this.heartbeating = false;
    }
  }

  private reconcile(list: PollAnswer["assignments"]): void {
    const { revoked, assigned } = this.state.assign(list);
    if (revoked.length > 0 || assigned.length > 0) this.counters.rebalances++;
    if (revoked.length > 0) this.callback(() => this.opts.onRevoked?.(revoked));
    if (assigned.length > 0) this.callback(() => this.opts.onAssigned?.(assigned));
  }

  /** The session is gone (404): everything held is revoked and its uncommitted work dropped. */
  private sessionLost(): void {
    this.lostSessions++;
    this.memberId = null;
    this.expired = false;
    this.state.dropAllCommits();
    const held = this.state.clearAssignments();
    if (held.length > 0) {
      this.counters.rebalances++;
      this.callback(() => this.opts.onRevoked?.(held));
    }
  }

  /** Revokes what is held, then leaves with the final commits (retrying a refused stale one without it). */
  private async leave(): Promise<void> {
    this.heartbeats.stop();
    const memberId = this.memberId;
    if (memberId === null) return;
    this.leaving = true;
    this.contactSeq++;
    const held = this.state.clearAssignments();
    if (held.length > 0) this.callback(() => this.opts.onRevoked?.(held));
    await this.callbacksSettled();
    for (let attempt = 0; attempt < 4; attempt++) {
      const commits = this.state.pendingCommits();
      try {
        await this.api.leave(memberId, commits);
        this.counters.committed += this.state.accepted(commits);
        break;
      } catch (thrown) {
        const err = asClientError(thrown);
        if (err.status === 404) break;
        this.report(err, "leave");
        if (err.status === 409) this.state.dropStale(err.details);
        else if (!err.retryable) break;
        else await sleep(retryDelay(attempt, this.backoff, err));
      }
    }
    this.memberId = null;
    this.leaving = false;
  }

  /**
   * Waits for the queued onAssigned/onRevoked calls with heartbeats running, as for a handler: a
   * callback slower than the session would otherwise cost the session (and, on stop, the leave's
   * commits).
   */
  private async callbacksSettled(): Promise<void> {
    if (this.notifier.idle) return;
    this.heartbeats.start();
    try {
      await this.notifier.settled();
    } finally {
      this.heartbeats.stop();
    }
  }

  private callback(fn: () => void | Promise<void>): void {
    this.notifier.queue(fn);
  }

  private touch(): void {
    this.lastContactAt = Date.now();
  }

  private report(err: Error, phase: ConsumerPhase, shardletId?: string): void {
    this.notifier.report(err, phase, shardletId);
  }
}

function closedError(): ShardcastClientError {
  return new ShardcastClientError({ status: 0, code: "closed", message: "the consumer was stopped" });
}
