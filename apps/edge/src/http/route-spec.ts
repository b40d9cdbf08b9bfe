import { z } from "zod";
import { ERROR_CODES, MAX_PAGE_BYTES, MAX_TIMESTAMP_MS, parseTimestamp, streamNameSchema, type ErrorCode } from "@shardcast/core";
import { MAX_READ_LIMIT } from "../reads.ts";

/**
 * The shapes the edge's route tables are made of (`routes.ts` for events, hints and operations,
 * `consumer-routes.ts` for consumer groups), and the schemas both use.
 */
export type RouteId =
  | "listShardlets"
  | "readShardlet"
  | "joinGroup"
  | "pollGroup"
  | "commitGroup"
  | "heartbeatGroup"
  | "leaveGroup"
  | "describeGroup"
  | "ingest"
  | "readByPosition"
  | "readByKey"
  | "createHints"
  | "listHints"
  | "readForecast"
  | "trpcIngest"
  | "healthz"
  | "openapi"
  | "livez"
  | "readyz"
  | "metrics";

export interface RouteSpec {
  id: RouteId;
  method: "get" | "post" | "delete";
  /** OpenAPI path template; a `{name}` is one percent-encoded path segment. */
  path: string;
  summary: string;
  description?: string;
  tag: "events" | "hints" | "forecasts" | "consumers" | "trpc" | "operations";
  /** What the API key must allow (`metrics`: the metrics token, when one is set). */
  auth: "produce" | "consume" | "metrics" | null;
  params?: z.ZodObject;
  query?: z.ZodObject;
  body?: z.ZodType;
  ok: { status: 200 | 201; description: string; schema?: z.ZodType; contentType?: string; headers?: Record<string, { description: string; values: readonly string[] }> };
  /** Error codes this route can answer (with `{"error":{...}}`, statuses from `errorStatus`). */
  errors: readonly ErrorCode[];
}

/** How the edge's shard cache served a read (`hit`, `partial` or `miss`); absent when the edge has no cache. */
export const CACHE_STATUS_HEADER = "x-shardcast-cache";

/** The documentation of `CACHE_STATUS_HEADER` on a read route that answers with these values. */
export function cacheStatusHeader(values: readonly ("hit" | "partial" | "miss")[]): NonNullable<RouteSpec["ok"]["headers"]> {
  const meaning = { hit: "`hit` (no storage host was read)", partial: "`partial` (cached events and a host read past them)", miss: "`miss` (read from the hosts)" };
  return {
    [CACHE_STATUS_HEADER]: {
      description: `How the edge's shard cache served the page: ${values.map((v) => meaning[v]).join(", ")}. Absent when the edge runs without a cache.`,
      values,
    },
  };
}

/** Decimal digits only: `Number()` alone would also read `0x10`, `1e3`, `+5` and a blank as numbers. */
const DECIMAL = /^[0-9]+$/;

function intQuery(name: string, min: number, max: number, def: number) {
  return z.preprocess(decimal, intOf(name, min, max).default(def));
}

/** `intQuery` without a default: absent stays absent. */
export function optionalIntQuery(name: string, min: number, max: number) {
  return z.preprocess(decimal, intOf(name, min, max).optional());
}

function decimal(raw: unknown): unknown {
  return typeof raw === "string" && !DECIMAL.test(raw) ? Number.NaN : raw;
}

function intOf(name: string, min: number, max: number) {
  const message = `query parameter ${name} must be an integer from ${min} to ${max}`;
  return z.coerce.number(message).int(message).min(min, message).max(max, message);
}

function timeQuery(name: string) {
  return z
    .string()
    .transform((raw, ctx) => {
      const asNum = Number(raw);
      const ms = parseTimestamp(Number.isFinite(asNum) ? asNum : raw);
      if (typeof ms === "string") {
        ctx.addIssue({ code: "custom", message: `query parameter ${name} ${ms}` });
        return z.NEVER;
      }
      return ms;
    })
    .optional()
    .meta({
      description: "Epoch milliseconds or an ISO-8601 date-time with an offset (2026-01-31T09:30:00Z), from 1970-01-01T00:00:00Z to 9999-12-31T23:59:59.999Z.",
      override: { anyOf: [{ type: "integer", minimum: 0, maximum: MAX_TIMESTAMP_MS }, { type: "string", format: "date-time" }] },
    });
}

export const streamParams = z.object({ stream: streamNameSchema });
/** A key longer than ingest accepts names no event: refused, as ingest refuses it. */
export function keyParams(maxKeyLength: number) {
  const tooLong = (input: unknown) => `key has ${typeof input === "string" ? input.length : "more"} characters; the limit is ${maxKeyLength}`;
  return z.object({
    stream: streamNameSchema,
    key: z.string().min(1).max(maxKeyLength, { error: (iss) => tooLong(iss.input) }).meta({ description: "The event key (percent-encoded)." }),
  });
}
const PAGE_MIB = MAX_PAGE_BYTES / (1024 * 1024);
/** How every read page is bounded besides `limit` (the same words in each schema that has one). */
const PAGE_BYTES_RULE = `A page also ends once its events reach ${PAGE_MIB} MiB (payload JSON, key, type and id, as an event's size is counted on write), so it may hold fewer than \`limit\` events with more to come; it always holds at least one.`;

export const positionQuery = z.object({
  after: intQuery("after", 0, Number.MAX_SAFE_INTEGER, 0).meta({ description: "Return events after this position (the previous page's `next`)." }),
  limit: intQuery("limit", 1, MAX_READ_LIMIT, 100).meta({ description: `Most events per page. ${PAGE_BYTES_RULE}` }),
});
export const keyQuery = z
  .object({
    from: timeQuery("from"),
    to: timeQuery("to"),
    after: optionalIntQuery("after", 0, Number.MAX_SAFE_INTEGER).meta({ description: "With `from`: skip the events at time `from` at or below this position (the previous page's `next.after`)." }),
    limit: intQuery("limit", 1, MAX_READ_LIMIT, 100).meta({ description: `Most events per page. ${PAGE_BYTES_RULE}` }),
  })
  .refine((q) => q.from === undefined || q.to === undefined || q.from <= q.to, { error: "query parameter from is after to: the time range ends before it starts" })
  .refine((q) => q.after === undefined || q.from !== undefined, { error: "query parameter after needs from (pass the previous page's next.from and next.after)" });
export const hintsQuery = z.object({ stream: streamNameSchema });

const storedEventSchema = z
  .object({
    streamId: z.string(),
    seq: z.number().int(),
    shardletId: z.string(),
    key: z.string(),
    id: z.string().nullable(),
    type: z.string().nullable(),
    ts: z.number().int().meta({ description: "Event time, epoch milliseconds." }),
    payload: z.unknown(),
  })
  .meta({ id: "StoredEvent" });

export const positionPageSchema = z.object({
  events: z.array(storedEventSchema),
  watermark: z.number().int().meta({ description: "Every position at or below this is final." }),
  next: z.number().int().meta({ description: "Pass as `after` to continue." }),
});
/** A stream's page by position: a page, and where the stream starts when events before it expired. */
export const streamPositionPageSchema = positionPageSchema.extend({
  start: z
    .number()
    .int()
    .optional()
    .meta({
      description:
        "The stream's first stored position, present when `after` lies before it: the events between `after` and `start` expired under the stream's retention (its age or size cap), and the page starts at the oldest stored event.",
    }),
});
export const keyEventsSchema = z.object({
  events: z.array(storedEventSchema),
  next: z
    .object({ from: z.number().int(), after: z.number().int() })
    .optional()
    .meta({ description: "Present when the range may hold more events: pass `from` and `after` (and the same `to`) to continue. Absent: the range has no more." }),
});
export const hintsAnswerSchema = z.object({
  stream: z.string(),
  hints: z.array(
    z.object({
      id: z.string(),
      lo: z.number().int(),
      hi: z.number().int(),
      eventsPerSec: z.number(),
      startsAt: z.string(),
      endsAt: z.string(),
      note: z.string().nullable(),
    }),
  ),
});
export const okSchema = z.object({ ok: z.literal(true) });

/** `{"error":{"code","message","details"}}`, the body of every error answer. */
export const errorBodySchema = z
  .object({
    error: z.object({
      code: z.enum(ERROR_CODES),
      message: z.string(),
      details: z
        .record(z.string(), z.unknown())
        .optional()
        .meta({ description: "`rejected[]` ({index, path, message}) for a refused batch, `issues[]` for a refused hint, `retryAfterMs`/`limit`/`max` for `rate_limited`, `storedIndexes` for a partly stored batch." }),
    }),
  })
  .meta({ id: "Error" });

export const AUTH: readonly ErrorCode[] = ["unauthenticated", "forbidden"];
export const READ_ERRORS: readonly ErrorCode[] = ["bad_request", ...AUTH, "rate_limited", "not_found", "unavailable", "internal"];

/** The routes; the body schemas carry the configured limits. */
