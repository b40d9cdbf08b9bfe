import { addReplicaServed, type Logger } from "@shardcast/runtime";
import type { Redis } from "ioredis";

/** Counts the events each replica served on this edge and adds them to the shared counts every few seconds. */
export class ReplicaServedCounter {
  private pending = new Map<string, number>();
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    private readonly log: Logger,
  ) {}

  add(replicaId: string, events: number): void {
    this.pending.set(replicaId, (this.pending.get(replicaId) ?? 0) + events);
  }

  async flush(): Promise<void> {
    const batch = this.pending;
    this.pending = new Map();
    try {
      await addReplicaServed(this.redis, this.prefix, batch);
    } catch (err) {
      // Counts only feed a reward: keep them for the next flush rather than fail a read.
      for (const [id, n] of batch) this.pending.set(id, (this.pending.get(id) ?? 0) + n);
      this.log.warn("replica read counts not flushed; retried", { err });
    }
  }

  start(everyMs: number): void {
    this.timer = setInterval(() => void this.flush(), everyMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.flush();
  }
}
