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
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly list: () => Promise<string[]>,
    private readonly log: Logger,
  ) {}

  has(shardletId: string): boolean {
    return this.locked.has(shardletId);
  }

  apply(shardletId: string, locked: boolean): void {
    if (locked) this.locked.add(shardletId);
    else this.locked.delete(shardletId);
  }

  async resync(): Promise<void> {
    try {
      this.locked = new Set(await this.list());
    } catch (err) {
      this.log.warn("op-lock view resync failed", { err });
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
