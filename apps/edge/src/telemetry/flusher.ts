import { deltaRows, flushCommands, type TelemetryDeltas } from "@shardcast/core";
import type { Logger } from "@shardcast/runtime";
import type { Redis } from "ioredis";
import type { TelemetryCounters } from "./counters.ts";
import type { EdgeProfiler } from "./profiler.ts";

export interface FlusherOptions {
  redis: Redis;
  prefix: string;
  counters: TelemetryCounters;
  /** Sends the profiler's statistics with the counters, in the same MULTI. */
  profiler?: EdgeProfiler;
  log: Logger;
  everyMs: number;
  /** Rows kept across failed flushes; past it the oldest flushes are dropped (and logged). */
  maxPendingRows?: number;
  /** Expiry of the Redis keys: counters no rollup claims within this long are dropped. */
  ttlSec?: number;
}

export interface FlushResult {
  ok: boolean;
  rows: number;
}

/**
 * Sends the counters to Redis every interval in one MULTI (atomic: a rollup sees a flush whole or
 * not at all). A failed flush keeps its deltas for the next try, up to `maxPendingRows`; so losing
 * the edge loses at most what it counted since its last flush.
 */
export class TelemetryFlusher {
  #pending: TelemetryDeltas[] = [];
  #timer: NodeJS.Timeout | null = null;
  #running: Promise<FlushResult> | null = null;
  #dropped = 0;

  constructor(private readonly opts: FlusherOptions) {}

  start(): void {
    this.stopTimer();
    this.#timer = setInterval(() => void this.flush(), this.opts.everyMs);
    this.#timer.unref();
  }

  stopTimer(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
  }

  /** Rows dropped because Redis stayed unreachable past the pending bound. */
  get droppedRows(): number {
    return this.#dropped;
  }

  /** Flushes now; a flush already running is awaited and followed by another, so nothing counted before the call is left behind. */
  async flush(): Promise<FlushResult> {
    while (this.#running) await this.#running;
    this.#running = this.#flushOnce();
    try {
      return await this.#running;
    } finally {
      this.#running = null;
    }
  }

  async #flushOnce(): Promise<FlushResult> {
    const fresh = this.opts.counters.drain();
    const profiles = (await this.opts.profiler?.drain()) ?? [];
    if (profiles.length > 0) fresh.profiles = profiles;
    if (deltaRows(fresh) > 0) this.#pending.push(fresh);
    if (this.#pending.length === 0) return { ok: true, rows: 0 };
    const all: TelemetryDeltas = {
      shardlets: this.#pending.flatMap((d) => d.shardlets),
      hotKeys: this.#pending.flatMap((d) => d.hotKeys),
      clients: this.#pending.flatMap((d) => d.clients),
      profiles: this.#pending.flatMap((d) => d.profiles ?? []),
    };
    const rows = deltaRows(all);
    const cmds = flushCommands(this.opts.prefix, all, { ttlSec: this.opts.ttlSec ?? 86_400 });
    try {
      const res = await this.opts.redis.multi(cmds).exec();
      if (res === null) throw new Error("the telemetry transaction was discarded");
      // Command errors inside an executed MULTI mean the rest was applied: retrying would count twice.
      const failed = res.filter(([err]) => err !== null);
      if (failed.length > 0) this.opts.log.warn("telemetry flush: some commands failed", { failed: failed.length, error: String(failed[0]![0]) });
      this.#pending = [];
      return { ok: true, rows };
    } catch (err) {
      const max = this.opts.maxPendingRows ?? 200_000;
      let kept = rows;
      while (kept > max && this.#pending.length > 0) {
        const old = this.#pending.shift()!;
        kept -= deltaRows(old);
        this.#dropped += deltaRows(old);
      }
      this.opts.log.warn("telemetry flush failed; counters kept for the next flush", { err, pendingRows: kept, droppedRows: this.#dropped });
      return { ok: false, rows: 0 };
    }
  }

  /** Stops the timer and flushes what is left (graceful shutdown). */
  async stop(): Promise<FlushResult> {
    this.stopTimer();
    return this.flush();
  }
}
