import { randomUUID } from "node:crypto";
import { deltaRows, flushCommands, type RedisCommand, type TelemetryDeltas } from "@shardcast/core";
import type { Logger } from "@shardcast/runtime";
import type { Redis } from "ioredis";
import type { TelemetryCounters } from "./counters.ts";
import type { EdgeProfiler } from "./profiler.ts";

export interface FlusherOptions {
  redis: Redis;
  prefix: string;
  counters: TelemetryCounters;
  /** Sends the profiler's statistics with the counters, in the same transaction. */
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

/** One flush attempt: its deltas, sent again under the same id until Redis answers for it. */
interface Attempt {
  id: string;
  deltas: TelemetryDeltas;
  rows: number;
  /** Markers of earlier attempts Redis answered for, deleted by this one (they are never sent again). */
  spent: string[];
}

/**
 * Applies one attempt at most once: its marker is set first and only if absent, then its commands
 * run, each like a command of a MULTI (one that fails leaves the others applied). A script, not a
 * MULTI: when the connection drops with the reply in flight, ioredis sends the unanswered commands
 * again on the next connection by itself, and the flusher sends what it never heard back about
 * with its next flush; the marker makes both land once.
 * KEYS: the attempt's marker. ARGV: the marker's expiry in seconds, then each command as its
 * argument count, its name and its arguments. Answers {applied now (1) or before (0), failed
 * commands, the first failure}. The commands' keys are not declared: they carry the marker's hash
 * tag, so they share its slot (as the rollup's claim script does).
 */
const APPLY_ONCE = `
if not redis.call('SET', KEYS[1], '1', 'NX', 'EX', ARGV[1]) then return {0, 0, ''} end
local failed, first = 0, ''
local i = 2
while i <= #ARGV do
  local n = tonumber(ARGV[i])
  local res = redis.pcall(unpack(ARGV, i + 1, i + n))
  if type(res) == 'table' and res.err then
    failed = failed + 1
    if first == '' then first = res.err end
  end
  i = i + n + 1
end
return {1, failed, first}
`;

/**
 * Sends the counters to Redis every interval in one atomic script (a rollup sees a flush whole or
 * not at all). A flush Redis did not answer for keeps its deltas, up to `maxPendingRows`, and is
 * sent again with the next under its own id, so that one applied before its reply was lost is not
 * counted twice; losing the edge loses at most what it counted since its last flush.
 */
export class TelemetryFlusher {
  #pending: Attempt[] = [];
  /** Markers of attempts Redis answered for, not deleted yet. */
  #spent: string[] = [];
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

  #marker(id: string): string {
    // The telemetry keys' hash tag, outside their `:tm:` root (which the rollup owns).
    return `{${this.opts.prefix}}:tm-flushed:${id}`;
  }

  async #flushOnce(): Promise<FlushResult> {
    const fresh = this.opts.counters.drain();
    const profiles = (await this.opts.profiler?.drain()) ?? [];
    if (profiles.length > 0) fresh.profiles = profiles;
    const rows = deltaRows(fresh);
    if (rows > 0) this.#pending.push({ id: randomUUID(), deltas: fresh, rows, spent: this.#spent.splice(0) });
    if (this.#pending.length === 0) return { ok: true, rows: 0 };
    const ttlSec = this.opts.ttlSec ?? 86_400;
    // Sent together (one round trip); each lands or not on its own.
    const attempts = this.#pending;
    const outcomes = await Promise.allSettled(attempts.map((a) => this.#send(a, ttlSec)));
    this.#pending = [];
    let sent = 0;
    let error: unknown;
    for (let i = 0; i < attempts.length; i++) {
      const a = attempts[i]!;
      const outcome = outcomes[i]!;
      if (outcome.status === "rejected") {
        // Redis may or may not have applied it: sent again under its id, it lands at most once.
        this.#pending.push(a);
        error ??= outcome.reason;
        continue;
      }
      this.#spent.push(this.#marker(a.id));
      sent += a.rows;
      const [applied, failed, first] = outcome.value;
      if (applied === 0) this.opts.log.info("telemetry flush: Redis had applied an earlier send of it", { rows: a.rows });
      // Command errors inside an applied flush mean the rest was applied: sending it again would count twice.
      if (failed > 0) this.opts.log.warn("telemetry flush: some commands failed", { failed, error: first });
    }
    if (error === undefined) return { ok: true, rows: sent };
    const max = this.opts.maxPendingRows ?? 200_000;
    let kept = this.#pending.reduce((n, a) => n + a.rows, 0);
    while (kept > max && this.#pending.length > 0) {
      const old = this.#pending.shift()!;
      kept -= old.rows;
      this.#dropped += old.rows;
    }
    this.opts.log.warn("telemetry flush failed; counters kept for the next flush", { err: error, pendingRows: kept, droppedRows: this.#dropped });
    return { ok: false, rows: sent };
  }

  async #send(a: Attempt, ttlSec: number): Promise<[number, number, string]> {
    const cmds: RedisCommand[] = flushCommands(this.opts.prefix, a.deltas, { ttlSec });
    for (const key of a.spent) cmds.push(["del", key]);
    // One array, not spread arguments: a long outage's flush holds hundreds of thousands of them.
    const argv: Array<string | number> = [APPLY_ONCE, 1, this.#marker(a.id), ttlSec];
    for (const cmd of cmds) argv.push(cmd.length, ...cmd);
    const res = await this.opts.redis.call("eval", argv);
    if (!Array.isArray(res) || res.length !== 3) throw new Error("unexpected answer from the telemetry flush script");
    return [Number(res[0]), Number(res[1]), String(res[2])];
  }

  /** Stops the timer and flushes what is left (graceful shutdown). */
  async stop(): Promise<FlushResult> {
    this.stopTimer();
    return this.flush();
  }
}
