import type { Logger } from "@shardcast/runtime";

/**
 * The edge's in-memory view of which shardlets a job holds the op-lock of, so the write path can
 * choose between the fast path and the overflow log without a round trip. Kept current by the
 * lock/unlock messages and re-read in full periodically (a crashed job's lock expires silently).
 * Being wrong is safe: a write to a shardlet whose fence moved is rejected and re-routed, and a
 * write to the overflow of an unlocked shardlet is drained by the worker's sweep.
 */
export class LockView {
  private locked = new Set<string>();
  /** Until when (clock ms) writes to a locked shardlet may wait for its change, per lock message that asked for a hold. */
  private readonly holds = new Map<string, number>();
  /** Writers waiting for the view to change (see `changed`). */
  private readonly waiters = new Set<() => void>();
  /** The last message applied per locked shardlet (a running count): a deferred release applies only if none came after it. */
  private readonly applied = new Map<string, number>();
  private messages = 0;
  private timer: NodeJS.Timeout | null = null;
  /**
   * Messages applied while a resync's read is in flight, one journal per running resync. The list
   * may have been read before a lock was taken; replacing the view with it alone would forget that
   * lock until the next resync, so each resync replays what arrived meanwhile over what it read.
   */
  private readonly journals = new Set<Array<[string, boolean]>>();

  constructor(
    private readonly list: () => Promise<string[]>,
    private readonly log: Logger,
    private readonly clock: () => number = Date.now,
  ) {}

  has(shardletId: string): boolean {
    return this.locked.has(shardletId);
  }

  /** Whether any locked shardlet's writes may be held back now: the write path's cheap check before it looks closer. */
  anyHeld(): boolean {
    return this.holds.size > 0;
  }

  /** Writes waiting for a held lock's change now. */
  get waiting(): number {
    return this.waiters.size;
  }

  heldShardlets(): Iterable<string> {
    return this.holds.keys();
  }

  /** Until when writes to `shardletId` may wait for its change (clock ms), if its lock asked for a hold and it has not run out. */
  heldUntil(shardletId: string): number | undefined {
    const until = this.holds.get(shardletId);
    if (until === undefined) return undefined;
    if (until > this.clock() && this.locked.has(shardletId)) return until;
    this.holds.delete(shardletId);
    return undefined;
  }

  /** Resolves at the view's next change (a lock, a release, a resync, new routes), or after `ms`. */
  changed(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.waiters.delete(done);
        resolve();
      };
      const timer = setTimeout(done, Math.max(0, ms));
      this.waiters.add(done);
    });
  }

  /**
   * `holdMs` (a lock message's) lets writes to the shardlet wait that long for its release before
   * they take the overflow log: see `OpLockMessage.holdMs`.
   */
  apply(shardletId: string, locked: boolean, holdMs = 0): void {
    this.applied.set(shardletId, ++this.messages);
    if (locked) {
      this.locked.add(shardletId);
      if (holdMs > 0) this.holds.set(shardletId, this.clock() + holdMs);
      else this.holds.delete(shardletId);
    } else {
      this.locked.delete(shardletId);
      this.holds.delete(shardletId);
      // Unlocked shardlets keep no count: the map stays as small as the locks held.
      this.applied.delete(shardletId);
    }
    for (const journal of this.journals) journal.push([shardletId, locked]);
    this.wake();
  }

  /**
   * New routes were installed: a held write re-checks them at once, since a switch is announced
   * before its lock is let go and the new route may already send it to the children.
   */
  routesChanged(): void {
    if (this.waiters.size > 0) this.wake();
  }

  private wake(): void {
    for (const done of [...this.waiters]) done();
  }

  /**
   * A release that waits for `after` (the route reloads the change announced): a job announces
   * its new routes before it lets its locks go, and an edge that applied the release before its
   * reload answered would send the range's writes to the routes the change retired, where the
   * fence refuses them (a refusal, a reload and a resend: the longest write of a hand-off). Until
   * then the range's writes keep taking the overflow log. A lock message that arrives meanwhile
   * wins over the deferred release.
   */
  releaseAfter(shardletId: string, after: Promise<unknown>): void {
    if (!this.locked.has(shardletId)) return;
    const seen = this.applied.get(shardletId);
    void after.finally(() => {
      if (this.locked.has(shardletId) && this.applied.get(shardletId) === seen) this.apply(shardletId, false);
    });
  }

  async resync(): Promise<void> {
    const journal: Array<[string, boolean]> = [];
    this.journals.add(journal);
    try {
      const listed = new Set(await this.list());
      for (const [id, locked] of journal) {
        if (locked) listed.add(id);
        else listed.delete(id);
      }
      this.locked = listed;
      for (const id of this.holds.keys()) if (!listed.has(id)) this.holds.delete(id);
      this.wake();
    } catch (err) {
      this.log.warn("op-lock view resync failed", { err });
    } finally {
      this.journals.delete(journal);
    }
  }

  start(everyMs: number): void {
    this.stop();
    void this.resync();
    this.timer = setInterval(() => void this.resync(), everyMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }
}
