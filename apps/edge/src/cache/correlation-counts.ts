import { bucketStart } from "@shardcast/core";
import { CORRELATION_STEP_MS, correlationField, READ_CACHE_TTL_SEC, readCacheKeys, type Logger } from "@shardcast/runtime";
import type { Redis } from "ioredis";

/** Distinct types (and shardlet-reader pairs) counted per stream and step; the rest are summed under one name. */
const MAX_FIELDS_PER_STREAM = 500;
const OTHER = "(other)";

/**
 * What the correlation engine learns from: events written per type and reads per shardlet and
 * reader, per 10 s step, sent to Redis with HINCRBY (edges add up). Counting is a map increment
 * on the ack path; the flush is off it.
 */
export class CorrelationCounter {
  private pending = new Map<number, Map<string, number>>();
  private perStream = new Map<string, number>();
  private timer: NodeJS.Timeout | null = null;

  constructor(private readonly deps: { redis: Redis; prefix: string; log: Logger; clock?: () => number }) {}

  private add(streamId: string, kind: "w" | "r" | "a", field: string, n: number): void {
    const b = bucketStart((this.deps.clock ?? Date.now)(), CORRELATION_STEP_MS / 1000);
    let fields = this.pending.get(b);
    if (!fields) this.pending.set(b, (fields = new Map<string, number>()));
    let name = field;
    if (!fields.has(name)) {
      const k = `${b}\t${streamId}`;
      const seen = this.perStream.get(k) ?? 0;
      // A payload value past the cap is dropped: summed under one name it would look like one busy value.
      if (seen >= MAX_FIELDS_PER_STREAM && kind === "a") return;
      if (seen >= MAX_FIELDS_PER_STREAM) name = kind === "w" ? correlationField.written(streamId, OTHER) : correlationField.read(streamId, OTHER, OTHER);
      else this.perStream.set(k, seen + 1);
    }
    fields.set(name, (fields.get(name) ?? 0) + n);
  }

  written(streamId: string, types: ReadonlyArray<string | null>): void {
    const counts = new Map<string, number>();
    for (const t of types) if (t) counts.set(t, (counts.get(t) ?? 0) + 1);
    for (const [t, n] of counts) this.add(streamId, "w", correlationField.written(streamId, sanitize(t)), n);
  }

  /** Events written with `value` of the payload field `field` (a configured one). */
  value(streamId: string, field: string, value: string, events: number): void {
    if (events > 0) this.add(streamId, "a", correlationField.value(streamId, field, sanitize(value)), events);
  }

  read(streamId: string, shardletId: string, reader: string, events: number): void {
    if (events > 0) this.add(streamId, "r", correlationField.read(streamId, shardletId, sanitize(reader)), events);
  }

  start(everyMs: number): void {
    this.timer = setInterval(() => void this.flush(), everyMs);
    this.timer.unref();
  }

  async flush(): Promise<void> {
    const batch = this.pending;
    this.pending = new Map();
    this.perStream = new Map();
    if (batch.size === 0) return;
    const multi = this.deps.redis.multi();
    for (const [b, fields] of batch) {
      const key = readCacheKeys.bucket(this.deps.prefix, b);
      for (const [f, n] of fields) multi.hincrby(key, f, n);
      multi.expire(key, READ_CACHE_TTL_SEC);
    }
    try {
      await multi.exec();
    } catch (err) {
      // Counts for prefetch learning only: a lost flush makes one step look quieter, nothing more.
      this.deps.log.warn("could not flush correlation counts", { err });
    }
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.flush();
  }
}

/** Field names are tab-separated; a type or reader label must not contain a tab. */
function sanitize(s: string): string {
  return s.replace(/[\t\n]/g, " ").slice(0, 200);
}
