import { z } from "zod";
import { ShardcastError, type RejectedItem } from "./errors.ts";
import { eventSizeBytes } from "./event-size.ts";
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

/** Earliest and latest event time accepted: 1970-01-01T00:00:00.000Z to 9999-12-31T23:59:59.999Z. */
export const MIN_TIMESTAMP_MS = 0;
export const MAX_TIMESTAMP_MS = 253_402_300_799_999;

/**
 * RFC 3339's profile of ISO-8601: calendar date, time to the second with an optional fraction,
 * and an offset. The offset is required because without one ISO-8601 means local time, which
 * would store an event at a different instant on each server; a date alone leaves the same
 * question open. ISO-8601's six-digit signed years are matched so that a year past 9999 is
 * refused for its range rather than its form.
 */
const ISO_DATE_TIME = /^([+-]\d{6}|\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?(?:(Z)|([+-])(\d{2}):(\d{2}))$/i;
const TIMESTAMP_FORMS = "epoch milliseconds or an ISO-8601 date-time with an offset, such as 2026-01-31T09:30:00Z";
const OUT_OF_RANGE = "is outside the accepted range 1970-01-01T00:00:00Z to 9999-12-31T23:59:59.999Z";

/**
 * Epoch milliseconds (fractions dropped) or an ISO-8601 date-time (fractions past the
 * millisecond dropped), as epoch milliseconds; a string is the reason it was refused, worded to
 * follow the field name. The range keeps every time well inside what JavaScript dates and
 * PostgreSQL timestamps hold, and four-digit years in ISO form.
 */
export function parseTimestamp(raw: unknown): number | string {
  let ms: number;
  if (typeof raw === "number") {
    if (Number.isNaN(raw)) return `must be ${TIMESTAMP_FORMS}`;
    ms = Math.floor(raw);
  } else if (typeof raw === "string") {
    const parsed = parseIsoDateTime(raw);
    if (typeof parsed === "string") return parsed;
    ms = parsed;
  } else {
    return `must be ${TIMESTAMP_FORMS}`;
  }
  if (!(ms >= MIN_TIMESTAMP_MS && ms <= MAX_TIMESTAMP_MS)) return OUT_OF_RANGE;
  return ms;
}

/**
 * `Date.parse` is not used: it also takes whatever its engine guesses at ("12" is 2001-12-01,
 * "0" is 2000-01-01 in the server's time zone) and rolls impossible dates over (February 31 is
 * March 3), so a typo would be stored as some other time instead of refused.
 */
function parseIsoDateTime(raw: string): number | string {
  const quoted = JSON.stringify(raw.slice(0, 40));
  const m = ISO_DATE_TIME.exec(raw);
  if (!m) return `${quoted} is not ${TIMESTAMP_FORMS}`;
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number) as [number, number, number, number, number, number];
  // ISO-8601 has no year minus zero.
  if (m[1] === "-000000") return `${quoted} is not ${TIMESTAMP_FORMS}`;
  // Out of range whatever the offset. Settled before Date.UTC, which reads years 0 to 99 as 1900
  // to 1999 and has no answer past year 275760.
  if (year < 1969 || year > 10000) return OUT_OF_RANGE;
  const millis = Number((m[7] ?? "").slice(0, 3).padEnd(3, "0"));
  const utc = Date.UTC(year, month - 1, day, hour, minute, second, millis);
  // Date.UTC rolls over what is out of bounds (day 31 of February, hour 24, second 60): a time
  // that does not come back as written names no instant.
  const back = new Date(utc);
  if (
    back.getUTCFullYear() !== year ||
    back.getUTCMonth() !== month - 1 ||
    back.getUTCDate() !== day ||
    back.getUTCHours() !== hour ||
    back.getUTCMinutes() !== minute ||
    back.getUTCSeconds() !== second
  ) {
    return `${quoted} is not a date and time that exists (month, day, hour, minute or second out of bounds)`;
  }
  if (m[8] !== undefined) return utc;
  const offsetHours = Number(m[10]);
  const offsetMinutes = Number(m[11]);
  if (offsetHours > 23 || offsetMinutes > 59) return `${quoted} has an offset out of bounds (at most ±23:59)`;
  const offsetMs = (offsetHours * 60 + offsetMinutes) * 60_000;
  return m[9] === "-" ? utc + offsetMs : utc - offsetMs;
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
  const sizeBytes = eventSizeBytes({ key: keyStr, type: raw.type, id: raw.id }, payloadJson);
  if (sizeBytes > opts.limits.maxEventBytes) {
    return reject("payload", `event is ${sizeBytes} bytes; the limit is ${opts.limits.maxEventBytes}`);
  }
  return {
    event: { key: keyStr, id: raw.id ?? null, type: raw.type ?? null, ts, payloadJson, sizeBytes, payload },
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
