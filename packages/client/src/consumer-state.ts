import type { ConsumerOptions, ConsumerPhase } from "./consumer-options.ts";
import { staleDetailsSchema, type Assignment, type Batch, type Commit } from "./types.ts";

/** What changed between two assignment lists. A new generation of a shardlet is both. */
export interface AssignmentChange {
  revoked: string[];
  assigned: string[];
}

/** The member's view of its assignments and of the progress it has not yet committed. */
export class MemberState {
  private assignments = new Map<string, Assignment>();
  /** Latest finished position per shardlet, with the events it covers, until the edge accepts it. */
  private readonly commits = new Map<string, Commit & { events: number }>();

  /** Replaces the assignments with the edge's list and says what changed. */
  assign(list: readonly Assignment[]): AssignmentChange {
    const next = new Map(list.map((a) => [a.shardletId, a]));
    const revoked: string[] = [];
    const assigned: string[] = [];
    for (const [id, a] of this.assignments) if (next.get(id)?.generation !== a.generation) revoked.push(id);
    for (const [id, a] of next) if (this.assignments.get(id)?.generation !== a.generation) assigned.push(id);
    this.assignments = next;
    return { revoked, assigned };
  }

  /** Drops every assignment (session lost, or leaving); returns the shardlets that were held. */
  clearAssignments(): string[] {
    const held = [...this.assignments.keys()];
    this.assignments.clear();
    return held;
  }

  /** Whether work of this shardlet and generation still belongs to the member. */
  holds(shardletId: string, generation: number): boolean {
    return this.assignments.get(shardletId)?.generation === generation;
  }

  shardlets(): string[] {
    return [...this.assignments.keys()];
  }

  /** How far the shardlet is processed: the edge's committed position or our own later one. */
  position(shardletId: string): number {
    return Math.max(this.assignments.get(shardletId)?.position ?? 0, this.commits.get(shardletId)?.position ?? 0);
  }

  /** Records that everything up to `position` of the shardlet was processed. */
  finished(commit: Omit<Commit, "events">, events: number): void {
    const prev = this.commits.get(commit.shardletId);
    // A batch of an older generation than one already recorded is stale work: the newer wins.
    if (prev && prev.generation > commit.generation) return;
    const carried = prev && prev.generation === commit.generation ? prev.events : 0;
    this.commits.set(commit.shardletId, { ...commit, events: carried + events });
  }

  /**
   * The commits to send now, each with the events it covers (the edge's checkpoint policy counts
   * them to decide when a position becomes durable).
   */
  pendingCommits(): Commit[] {
    return [...this.commits.values()].map(({ shardletId, generation, position, events }) => ({ shardletId, generation, position, ...(events > 0 ? { events } : {}) }));
  }

  /**
   * Forgets the commits the edge accepted; returns how many events they covered. A commit that
   * moved on while the request was out stays for the next request.
   */
  accepted(sent: readonly Commit[]): number {
    let events = 0;
    for (const c of sent) {
      const now = this.commits.get(c.shardletId);
      if (now && now.generation === c.generation && now.position === c.position) {
        events += now.events;
        this.commits.delete(c.shardletId);
      }
    }
    return events;
  }

  /** Drops the commits of these shardlets: the edge refused them as stale. */
  dropCommits(shardletIds: Iterable<string>): void {
    for (const id of shardletIds) this.commits.delete(id);
  }

  /** After a `409 conflict`: drops the commits its `details.stale` names. */
  dropStale(details: unknown): void {
    const parsed = staleDetailsSchema.safeParse(details);
    // Without a usable list every commit goes: re-delivery is safe, a poll refused forever is not.
    if (parsed.success && parsed.data.stale.length > 0) this.dropCommits(parsed.data.stale.map((s) => s.shardletId));
    else this.dropAllCommits();
  }

  dropAllCommits(): void {
    this.commits.clear();
  }
}

/**
 * Calls `beat` whenever `dueAt()` has passed, between `start` and `stop`. Any contact with the edge
 * (a poll) moves `dueAt`, so a member that polls often never sends a separate heartbeat.
 */
export class HeartbeatTimer {
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly dueAt: () => number,
    private readonly intervalMs: () => number,
    private readonly beat: () => Promise<void>,
  ) {}

  start(): void {
    this.stop();
    const tick = () => {
      const wait = this.dueAt() - Date.now();
      if (wait <= 0) void this.beat();
      this.timer = setTimeout(tick, Math.max(10, wait > 0 ? wait : this.intervalMs()));
      // The consumer's loop (its handler, its sleeps) keeps the process alive; heartbeats alone should not.
      this.timer.unref();
    };
    tick();
  }

  stop(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }
}

/** The batches per shardlet, each list in the order the edge sent them. */
export function groupByShardlet(batches: readonly Batch[]): Map<string, Batch[]> {
  const out = new Map<string, Batch[]>();
  for (const batch of batches) {
    const list = out.get(batch.shardletId);
    if (list) list.push(batch);
    else out.set(batch.shardletId, [batch]);
  }
  return out;
}

/** Runs the caller's callbacks one at a time, in order, and reports what they (and the loop) throw. */
export class Notifier {
  errors = 0;
  private chain: Promise<void> = Promise.resolve();
  private pending = 0;

  constructor(private readonly onError: ConsumerOptions["onError"]) {}

  queue(fn: () => void | Promise<void>): void {
    this.pending++;
    this.chain = this.chain.then(async () => {
      try {
        await fn();
      } catch (err) {
        this.report(toError(err), "callback");
      } finally {
        this.pending--;
      }
    });
  }

  /** True when no queued callback is waiting or running. */
  get idle(): boolean {
    return this.pending === 0;
  }

  /** Resolves when every queued callback has run. */
  settled(): Promise<void> {
    return this.chain;
  }

  report(err: Error, phase: ConsumerPhase, shardletId?: string): void {
    this.errors++;
    try {
      const reported = this.onError?.(err, shardletId === undefined ? { phase } : { phase, shardletId });
      // An async reporter rejects instead of throwing; left unhandled, that ends a Node process by default.
      Promise.resolve(reported).catch(() => undefined);
    } catch {
      // An error reporter that throws must not take the loop down with it.
    }
  }
}

export function toError(err: unknown): Error {
  return err instanceof Error ? err : new Error(String(err));
}
