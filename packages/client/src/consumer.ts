import { randomBytes } from "node:crypto";
import { asClientError, closedError, refusesField } from "./errors.ts";
import { BatchRunner } from "./consumer-batches.ts";
import { endpoint, retryDelay, sleep, type Backoff } from "./http.ts";
import { GroupApi, type PollAnswer } from "./consumer-api.ts";
import type { ConsumerMetrics, ConsumerOptions, ConsumerPhase } from "./consumer-options.ts";
import { Callbacks, Heartbeats } from "./consumer-heartbeats.ts";
import { TelemetrySampler } from "./consumer-telemetry.ts";
import { MemberState, Notifier } from "./consumer-state.ts";
import type { GroupView } from "./types.ts";

export type { ConsumerBatch, ConsumerMetrics, ConsumerOptions, ConsumerPhase } from "./consumer-options.ts";

/**
 * One member of a consumer group: joins, polls, runs the handler per batch, commits what it
 * finished with the next poll, heartbeats while the handler runs, and follows rebalances.
 * Delivery is at least once; see `exactlyOnce` for processing that must happen once.
 */
export class ShardcastConsumer {
  private readonly api: GroupApi;
  private readonly backoff: Backoff;
  private readonly state = new MemberState();
  private readonly notifier: Notifier;
  private readonly counters = { delivered: 0, processed: 0, committed: 0, rebalances: 0, lastPollAt: null as number | null };
  private memberId: string | null = null;
  private readonly heartbeats: Heartbeats;
  private readonly callbacks: Callbacks;
  private pollFailures = 0;
  /** Off once an edge refused the join token (an edge from before it): joins go without one. */
  private joinTokens = true;
  private readonly telemetry: TelemetrySampler;
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
    this.telemetry = new TelemetrySampler(opts.telemetry ?? true);
    this.api = new GroupApi(ep, opts.stream, opts.group);
    this.backoff = { baseMs: opts.retryBaseMs ?? 100, maxMs: opts.retryMaxMs ?? 5000 };
    this.notifier = new Notifier(opts.onError);
    this.heartbeats = new Heartbeats({
      api: this.api,
      requestTimeoutMs: ep.requestTimeoutMs,
      memberId: () => this.memberId,
      telemetry: () => this.telemetry.report(),
      reconcile: (list) => this.reconcile(list),
      report: (err, phase) => this.report(err, phase),
    });
    this.callbacks = new Callbacks(this.notifier, this.heartbeats);
    this.batches = new BatchRunner({
      opts,
      state: this.state,
      backoff: this.backoff,
      counters: this.counters,
      onHandled: (events, ms) => this.telemetry.processed(events, ms),
      active: () => !this.stopping && !this.heartbeats.expired,
      signal: () => this.stopper.signal,
      report: (err, phase, shardletId) => this.report(err, phase, shardletId),
    });
  }

  /** Joins the group (retrying while the edge is unreachable) and starts the loop in the background. */
  async start(): Promise<void> {
    if (this.loop) throw new Error("the consumer is already started");
    this.stopping = false;
    this.stopper = new AbortController();
    this.telemetry.start();
    // A join that gives up (stopped, or refused for good) leaves no loop-delay monitor behind.
    await this.join().catch((err: unknown) => {
      this.telemetry.stop();
      throw err;
    });
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
    this.telemetry.stop();
  }

  metrics(): ConsumerMetrics {
    return { memberId: this.memberId, assignments: this.state.shardlets(), ...this.counters, errors: this.notifier.errors };
  }

  /** The group as the edge shows it to this key: members (ids only of this key's), assignments, positions, lag. */
  describe(): Promise<GroupView> {
    return this.api.describe();
  }

  /**
   * One join, retried until it is answered. Its token is kept across the retries: a join whose
   * answer was lost added a member, and the retry must get that member back, or the group keeps
   * a second one that holds shardlets and never polls them until its session expires. A join after
   * a lost session is a new join and gets a new token.
   */
  private async join(): Promise<void> {
    const joinToken = randomBytes(18).toString("base64url");
    for (let attempt = 0; ; attempt++) {
      try {
        const { name, sessionTimeoutMs, start } = this.opts;
        const answer = await this.api.join({ name, sessionTimeoutMs, start, ...(this.joinTokens ? { joinToken } : {}) }, this.stopper.signal);
        this.memberId = answer.memberId;
        this.heartbeats.expired = false;
        this.heartbeats.touched(answer.heartbeatIntervalMs);
        this.reconcile(answer.assignments);
        return;
      } catch (thrown) {
        if (this.stopping) throw closedError();
        const err = asClientError(thrown);
        this.report(err, "join");
        if (this.joinTokens && refusesField(err, "joinToken")) {
          this.joinTokens = false;
          continue;
        }
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
          if (this.heartbeats.expired) {
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
    await this.callbacks.settled();
    const memberId = this.memberId!;
    const commits = this.state.pendingCommits();
    const stats = this.batches.pendingStats();
    const telemetry = this.telemetry.report();
    this.heartbeats.sending();
    try {
      const answer = await this.api.poll(
        memberId,
        {
          ...(commits.length > 0 ? { commits } : {}),
          limit: this.opts.pollLimit ?? 500,
          maxWaitMs: this.opts.maxWaitMs ?? 0,
          stats,
          ...(telemetry ? { telemetry } : {}),
        },
        this.stopper.signal,
      );
      this.pollFailures = 0;
      this.lostSessions = 0;
      this.heartbeats.touched(answer.heartbeatIntervalMs);
      this.counters.lastPollAt = Date.now();
      this.counters.committed += this.state.accepted(commits);
      this.batches.reported(stats);
      this.reconcile(answer.assignments);
      // onAssigned/onRevoked run before any batch of the new assignment is handled.
      await this.callbacks.settled();
      return answer;
    } catch (thrown) {
      // Aborted by stop(): whatever the poll carried is committed again by the leave.
      if (this.stopping) return null;
      const err = asClientError(thrown);
      this.report(err, "poll");
      if (telemetry && refusesField(err, "telemetry")) {
        // An edge from before telemetry: polls go without it (heartbeats' bodies it never reads).
        this.telemetry.enabled = false;
        return null;
      }
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
    this.heartbeats.expired = false;
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
    this.heartbeats.leaving = true;
    this.heartbeats.sending();
    const held = this.state.clearAssignments();
    if (held.length > 0) this.callback(() => this.opts.onRevoked?.(held));
    await this.callbacks.settled();
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
    this.heartbeats.leaving = false;
  }

  private callback(fn: () => void | Promise<void>): void {
    this.callbacks.queue(fn);
  }

  private report(err: Error, phase: ConsumerPhase, shardletId?: string): void {
    this.notifier.report(err, phase, shardletId);
  }
}
