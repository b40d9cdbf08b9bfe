import { z } from "zod";
import { ShardcastError, type RejectedItem } from "./errors.ts";
import type { IngestLimits } from "./limits.ts";
import { findJsonProblem, hasNonFiniteNumber, jsonTextNeedsCheck, MAX_PAYLOAD_DEPTH, unstorableText } from "./text.ts";
import type { IncomingEvent } from "./types.ts";

/** Stream names appear in URLs and Redis keys: keep them boring. */
export const streamNameSchema = z
  .string()
  .min(1, "stream name is empty")
  .max(64, "stream name is longer than 64 characters")
  .regex(/^[a-z0-9][a-z0-9._-]*$/, "stream name may use a-z, 0-9, '.', '_' and '-' and must start with a letter or digit");

/**
 * One event as a producer sends it. `payload` must be a JSON object. Any other field is refused:
 * a misspelt `payload` would otherwise store the event with an empty one.
 */
export const rawEventSchema = z.strictObject(
  {
    key: z.union([z.string(), z.number()]).optional(),
    id: z.string().optional(),
    type: z.string().optional(),
    ts: z.union([z.number(), z.string()]).optional(),
    payload: z.record(z.string(), z.unknown()).optional(),
  },
  { error: (iss) => (iss.code === "unrecognized_keys" ? `unknown field ${iss.keys.map((k) => JSON.stringify(k)).join(", ")} (an event has key, id, type, ts and payload)` : undefined) },
);
const EVENT_FIELDS = new Set(Object.keys(rawEventSchema.shape));
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

/** Earliest and latest event time accepted: 1970-01-01T00:00:00.000Z to 9999-12-31T23:59:59.999Z. */
export const MIN_TIMESTAMP_MS = 0;
export const MAX_TIMESTAMP_MS = 253_402_300_799_999;

/**
 * Epoch milliseconds (fractions dropped) or an ISO-8601 date, as epoch milliseconds; a string is
 * the reason it was refused, worded to follow the field name. The range keeps every time well
 * inside what JavaScript dates and PostgreSQL timestamps hold, and four-digit years in ISO form.
 */
export function parseTimestamp(raw: unknown): number | string {
  let ms: number;
  if (typeof raw === "number") {
    if (Number.isNaN(raw)) return "must be epoch milliseconds or an ISO-8601 date";
    ms = Math.floor(raw);
  } else if (typeof raw === "string") {
    ms = Date.parse(raw);
    if (Number.isNaN(ms)) return `"${raw.slice(0, 40)}" is not epoch milliseconds or an ISO-8601 date`;
  } else {
    return "must be epoch milliseconds or an ISO-8601 date";
  }
  if (!(ms >= MIN_TIMESTAMP_MS && ms <= MAX_TIMESTAMP_MS)) {
    return "is outside the accepted range 1970-01-01T00:00:00Z to 9999-12-31T23:59:59.999Z";
  }
  return ms;
}

function parseTs(raw: number | string | undefined, now: number): number | string {
  if (raw === undefined) return now;
  const ms = parseTimestamp(raw);
  return typeof ms === "string" ? `ts ${ms}` : ms;
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
  for (const field in v) if (!EVENT_FIELDS.has(field)) return false;
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
      // An unknown field is named by the field itself; its message already says which.
      if (issue?.code === "unrecognized_keys") return reject(issue.keys[0] ?? "event", issue.message);
      const path = issue?.path.join(".") ?? "";
      return reject(path || "event", issue ? `${path || "event"}: ${issue.message}` : "event must be an object");
    }
  }
  const payload = raw.payload ?? {};
  let key = raw.key;
  let keyPath = "key";
  if (key === undefined) {
    const fromPayload = payload[opts.keyField];
    if (typeof fromPayload === "string" || typeof fromPayload === "number") {
      key = fromPayload;
      keyPath = `payload.${opts.keyField}`;
    }
  }
  if (key === undefined) {
    return reject("key", `missing key: set "key" or payload.${opts.keyField}`);
  }
  // A number key is its decimal string, so 42 and "42" are one key. Beyond 2^53 or with a fraction,
  // JSON numbers stop being exact (two ids can parse to one number): those keys must be strings.
  if (typeof key === "number" && !Number.isSafeInteger(key)) {
    return reject(keyPath, `${keyPath} as a number must be an integer from -(2^53-1) to 2^53-1; send other keys as strings`);
  }
  const keyStr = typeof key === "number" ? String(key) : key;
  if (keyStr.length === 0) return reject(keyPath, `${keyPath} is empty`);
  if (keyStr.length > opts.limits.maxKeyLength) {
    return reject(keyPath, `${keyPath} has ${keyStr.length} characters; the limit is ${opts.limits.maxKeyLength}`);
  }
  const keyProblem = unstorableText(keyStr);
  if (keyProblem) return reject(keyPath, `${keyPath} ${keyProblem}`);
  if (raw.type !== undefined) {
    if (raw.type.length === 0 || raw.type.length > opts.limits.maxTypeLength) {
      return reject("type", `type must have 1 to ${opts.limits.maxTypeLength} characters`);
    }
    const problem = unstorableText(raw.type);
    if (problem) return reject("type", `type ${problem}`);
  }
  if (raw.id !== undefined) {
    if (raw.id.length === 0 || raw.id.length > opts.limits.maxIdLength) {
      return reject("id", `id must have 1 to ${opts.limits.maxIdLength} characters`);
    }
    const problem = unstorableText(raw.id);
    if (problem) return reject("id", `id ${problem}`);
  }
  const ts = parseTs(raw.ts, opts.now);
  if (typeof ts === "string") return reject("ts", ts);
  let payloadJson: string;
  try {
    payloadJson = JSON.stringify(payload);
  } catch {
    // JSON.stringify recurses: only nesting thousands of levels deep makes it run out of stack.
    payloadJson = "";
  }
  // A `null` in the text may be a number past a double's range that JSON.stringify wrote as null.
  const nonFinite = payloadJson.includes("null") && hasNonFiniteNumber(payload);
  if (payloadJson === "" || nonFinite || jsonTextNeedsCheck(payloadJson, MAX_PAYLOAD_DEPTH)) {
    // Rare: walk the payload to name the field (the scan only says that something is wrong).
    const problem = findJsonProblem(payload, "payload", MAX_PAYLOAD_DEPTH);
    if (problem) return reject(problem.path, problem.message);
    if (payloadJson === "") return reject("payload", "payload cannot be written as JSON");
  }
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
