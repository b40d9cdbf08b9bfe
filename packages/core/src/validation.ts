import { z } from "zod";
import { ShardcastError, type RejectedItem } from "./errors.ts";
import type { IngestLimits } from "./limits.ts";
import type { IncomingEvent } from "./types.ts";

/** Stream names appear in URLs and Redis keys: keep them boring. */
export const streamNameSchema = z
  .string()
  .min(1, "stream name is empty")
  .max(64, "stream name is longer than 64 characters")
  .regex(/^[a-z0-9][a-z0-9._-]*$/, "stream name may use a-z, 0-9, '.', '_' and '-' and must start with a letter or digit");

/** One event as a producer sends it. `payload` must be a JSON object. */
export const rawEventSchema = z.object({
  key: z.union([z.string(), z.number()]).optional(),
  id: z.string().optional(),
  type: z.string().optional(),
  ts: z.union([z.number(), z.string()]).optional(),
  payload: z.record(z.string(), z.unknown()).optional(),
});
export type RawEvent = z.infer<typeof rawEventSchema>;

export const ingestBatchSchema = z.object({
  events: z.array(z.unknown()),
});

const encoder = new TextEncoder();

function utf8Length(s: string): number {
  // Fast path: ASCII strings are the norm for keys and ids.
  let ascii = true;
  for (let i = 0; i < s.length; i++) {
    if (s.charCodeAt(i) > 0x7f) {
      ascii = false;
      break;
    }
  }
  return ascii ? s.length : encoder.encode(s).length;
}

function parseTs(raw: number | string | undefined, now: number): number | string {
  if (raw === undefined) return now;
  if (typeof raw === "number") {
    if (!Number.isFinite(raw) || raw < 0) return "ts must be a non-negative epoch-milliseconds number or an ISO-8601 string";
    return Math.floor(raw);
  }
  const ms = Date.parse(raw);
  if (Number.isNaN(ms)) return `ts "${raw.slice(0, 40)}" is not an ISO-8601 date`;
  return ms;
}

export interface ValidateOptions {
  limits: IngestLimits;
  /** Payload field used as the key when an event has no `key` (the stream's key field). */
  keyField: string;
  now: number;
}

/**
 * Validates a whole batch. Either every event is valid and normalised, or a `validation_failed`
 * error lists each rejected event with its index, field and reason; the caller stores nothing.
 */
export function validateBatch(body: unknown, opts: ValidateOptions): IncomingEvent[] {
  const envelope = ingestBatchSchema.safeParse(body);
  if (!envelope.success) {
    throw new ShardcastError("bad_request", 'body must be a JSON object of the form {"events": [...]}');
  }
  const items = envelope.data.events;
  if (items.length === 0) {
    throw new ShardcastError("bad_request", "events is empty: send at least one event");
  }
  if (items.length > opts.limits.maxBatchEvents) {
    throw new ShardcastError(
      "payload_too_large",
      `batch has ${items.length} events; the limit is ${opts.limits.maxBatchEvents}`,
    );
  }
  const rejected: RejectedItem[] = [];
  const out: IncomingEvent[] = [];
  for (let index = 0; index < items.length; index++) {
    const result = validateEvent(items[index], index, opts);
    if ("rejected" in result) rejected.push(result.rejected);
    else out.push(result.event);
  }
  if (rejected.length > 0) {
    throw new ShardcastError(
      "validation_failed",
      `${rejected.length} of ${items.length} events rejected; nothing was stored`,
      { rejected },
    );
  }
  return out;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (typeof v !== "object" || v === null || Array.isArray(v)) return false;
  const proto = Object.getPrototypeOf(v) as unknown;
  return proto === Object.prototype || proto === null;
}

/**
 * The hot-path twin of `rawEventSchema`: true exactly when zod would accept the event unchanged.
 * A batch of 500 well-formed events skips 500 zod parses (and their copies); anything this check
 * refuses goes through zod, which stays the authority for the error message.
 */
function hasRawEventShape(v: unknown): v is RawEvent {
  if (!isPlainObject(v)) return false;
  const { key, id, type, ts, payload } = v;
  return (
    (key === undefined || typeof key === "string" || (typeof key === "number" && Number.isFinite(key))) &&
    (id === undefined || typeof id === "string") &&
    (type === undefined || typeof type === "string") &&
    (ts === undefined || typeof ts === "string" || (typeof ts === "number" && Number.isFinite(ts))) &&
    (payload === undefined || isPlainObject(payload))
  );
}

function validateEvent(
  item: unknown,
  index: number,
  opts: ValidateOptions,
): { event: IncomingEvent } | { rejected: RejectedItem } {
  const reject = (path: string, message: string) => ({ rejected: { index, path, message } });
  let raw: RawEvent;
  if (hasRawEventShape(item)) {
    raw = item;
  } else {
    // Only a malformed event pays for zod; its issue is the precise message.
    const parsed = rawEventSchema.safeParse(item);
    if (parsed.success) {
      raw = parsed.data;
    } else {
      const issue = parsed.error.issues[0];
      const path = issue?.path.join(".") ?? "";
      return reject(path || "event", issue ? `${path || "event"}: ${issue.message}` : "event must be an object");
    }
  }
  const payload = raw.payload ?? {};
  let key = raw.key;
  if (key === undefined) {
    const fromPayload = payload[opts.keyField];
    if (typeof fromPayload === "string" || typeof fromPayload === "number") key = fromPayload;
  }
  if (key === undefined) {
    return reject("key", `missing key: set "key" or payload.${opts.keyField}`);
  }
  const keyStr = typeof key === "number" ? String(key) : key;
  if (keyStr.length === 0) return reject("key", "key is empty");
  if (keyStr.length > opts.limits.maxKeyLength) {
    return reject("key", `key has ${keyStr.length} characters; the limit is ${opts.limits.maxKeyLength}`);
  }
  if (raw.type !== undefined && (raw.type.length === 0 || raw.type.length > opts.limits.maxTypeLength)) {
    return reject("type", `type must have 1 to ${opts.limits.maxTypeLength} characters`);
  }
  if (raw.id !== undefined && (raw.id.length === 0 || raw.id.length > opts.limits.maxIdLength)) {
    return reject("id", `id must have 1 to ${opts.limits.maxIdLength} characters`);
  }
  const ts = parseTs(raw.ts, opts.now);
  if (typeof ts === "string") return reject("ts", ts);
  const payloadJson = JSON.stringify(payload);
  const sizeBytes =
    utf8Length(payloadJson) + utf8Length(keyStr) + (raw.type ? utf8Length(raw.type) : 0) + (raw.id ? utf8Length(raw.id) : 0);
  if (sizeBytes > opts.limits.maxEventBytes) {
    return reject("payload", `event is ${sizeBytes} bytes; the limit is ${opts.limits.maxEventBytes}`);
  }
  return {
    event: { key: keyStr, id: raw.id ?? null, type: raw.type ?? null, ts, payloadJson, sizeBytes },
  };
}

/**
 * Prefix of every Redis key, channel and job queue of one deployment (so several can share a
 * Redis). BullMQ puts `:` between its own parts, so the prefix itself avoids it.
 */
export const redisPrefixSchema = z
  .string()
  .regex(/^[A-Za-z0-9_.-]{1,32}$/, "the Redis prefix may use letters, digits, '_', '.' and '-' (at most 32 characters)")
  .default("sc");
