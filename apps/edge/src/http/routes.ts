import { z } from "zod";
import {
  ERROR_CODES,
  ingestBatchSchema,
  MAX_TIMESTAMP_MS,
  parseTimestamp,
  rawEventSchema,
  streamNameSchema,
  type ErrorCode,
  type IngestLimits,
} from "@shardcast/core";
import { MAX_READ_LIMIT } from "../reads.ts";
import { hintSchema } from "../telemetry/hints.ts";
import { ingestInput, ingestOutput } from "../trpc/procedures/ingest.ts";

/**
 * The edge's HTTP surface as data: the router in `server.ts` answers exactly these routes (each
 * needs a handler there, by id) and `/openapi.json` is generated from them, so neither can list a
 * route the other lacks. Path and query parameters are parsed with the schemas given here.
 */
export type RouteId =
  | "ingest"
  | "readByPosition"
  | "readByKey"
  | "createHints"
  | "listHints"
  | "trpcIngest"
  | "healthz"
  | "openapi"
  | "livez"
  | "readyz"
  | "metrics";

export interface RouteSpec {
  id: RouteId;
  method: "get" | "post";
  /** OpenAPI path template; a `{name}` is one percent-encoded path segment. */
  path: string;
  summary: string;
  description?: string;
  tag: "events" | "hints" | "trpc" | "operations";
  /** What the API key must allow (`metrics`: the metrics token, when one is set). */
  auth: "produce" | "consume" | "metrics" | null;
  params?: z.ZodObject;
  query?: z.ZodObject;
  body?: z.ZodType;
  ok: { status: 200 | 201; description: string; schema?: z.ZodType; contentType?: string };
  /** Error codes this route can answer (with `{"error":{...}}`, statuses from `errorStatus`). */
  errors: readonly ErrorCode[];
}

function intQuery(name: string, min: number, max: number, def: number) {
  const message = `query parameter ${name} must be an integer from ${min} to ${max}`;
  return z.coerce.number(message).int(message).min(min, message).max(max, message).default(def);
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
      description: "Epoch milliseconds or an ISO-8601 date, from 1970-01-01T00:00:00Z to 9999-12-31T23:59:59.999Z.",
      override: { anyOf: [{ type: "integer", minimum: 0, maximum: MAX_TIMESTAMP_MS }, { type: "string", format: "date-time" }] },
    });
}

export const streamParams = z.object({ stream: streamNameSchema });
export const keyParams = z.object({ stream: streamNameSchema, key: z.string().min(1).meta({ description: "The event key (percent-encoded)." }) });
export const positionQuery = z.object({
  after: intQuery("after", 0, Number.MAX_SAFE_INTEGER, 0).meta({ description: "Return events after this position (the previous page's `next`)." }),
  limit: intQuery("limit", 1, MAX_READ_LIMIT, 100),
});
export const keyQuery = z.object({ from: timeQuery("from"), to: timeQuery("to"), limit: intQuery("limit", 1, MAX_READ_LIMIT, 100) });
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
export const keyEventsSchema = z.object({ events: z.array(storedEventSchema) });
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

const AUTH: readonly ErrorCode[] = ["unauthenticated", "forbidden"];
const READ_ERRORS: readonly ErrorCode[] = ["bad_request", ...AUTH, "rate_limited", "not_found", "unavailable", "internal"];

/** The routes; the body schemas carry the configured limits. */
export function edgeRoutes(limits: IngestLimits): RouteSpec[] {
  const batch = ingestBatchSchema.extend({ events: z.array(rawEventSchema).min(1).max(limits.maxBatchEvents) });
  return [
    {
      id: "ingest",
      method: "post",
      path: "/v1/streams/{stream}/events",
      summary: "Append a batch of events",
      description:
        "Validated whole: a batch with any bad event is refused with `400 validation_failed` and nothing is stored. Answered after every storage host committed. Counts against the key's produce quota (events and bytes per second): over it, `429 rate_limited` with `Retry-After`, nothing stored.",
      tag: "events",
      auth: "produce",
      params: streamParams,
      body: batch,
      ok: { status: 200, description: "Stored (or already stored, for repeated ids).", schema: ingestOutput },
      errors: ["bad_request", "validation_failed", "payload_too_large", "unsupported_media_type", ...AUTH, "rate_limited", "not_found", "unavailable", "internal"],
    },
    {
      id: "readByPosition",
      method: "get",
      path: "/v1/streams/{stream}/events",
      summary: "Read events in global order after a position",
      description: "Never past the watermark. Counts the events returned against the key's read quota; the page is capped at the events left in it.",
      tag: "events",
      auth: "consume",
      params: streamParams,
      query: positionQuery,
      ok: { status: 200, description: "A page of events.", schema: positionPageSchema },
      errors: READ_ERRORS,
    },
    {
      id: "readByKey",
      method: "get",
      path: "/v1/streams/{stream}/keys/{key}/events",
      summary: "Read a key's events in a time range",
      tag: "events",
      auth: "consume",
      params: keyParams,
      query: keyQuery,
      ok: { status: 200, description: "The key's events.", schema: keyEventsSchema },
      errors: READ_ERRORS,
    },
    {
      id: "createHints",
      method: "post",
      path: "/v1/hints",
      summary: "Announce the rate a producer expects for a key range",
      description: "Give exactly one of `lo`/`hi`, `keyFrom`/`keyTo` or `keys`. Needs a key that may produce to the stream.",
      tag: "hints",
      auth: "produce",
      body: hintSchema(limits.maxKeyLength),
      ok: { status: 201, description: "The stored hints.", schema: hintsAnswerSchema },
      errors: ["bad_request", "validation_failed", "payload_too_large", "unsupported_media_type", ...AUTH, "not_found", "unavailable", "internal"],
    },
    {
      id: "listHints",
      method: "get",
      path: "/v1/hints",
      summary: "The stream's hints that have not ended",
      tag: "hints",
      auth: "produce",
      query: hintsQuery,
      ok: { status: 200, description: "The hints.", schema: hintsAnswerSchema },
      errors: ["bad_request", ...AUTH, "not_found", "unavailable", "internal"],
    },
    {
      id: "trpcIngest",
      method: "post",
      path: "/trpc/ingest",
      summary: "The tRPC form of the batch append",
      description:
        "Same rules and quota as `POST /v1/streams/{stream}/events`. tRPC answers wrap the result as `{\"result\":{\"data\":...}}`; errors are tRPC errors whose `error.data.shardcast` holds `{code, message, details}`.",
      tag: "trpc",
      auth: "produce",
      body: ingestInput.extend({ events: batch.shape.events }),
      ok: { status: 200, description: "Stored.", schema: z.object({ result: z.object({ data: ingestOutput }) }) },
      errors: ["bad_request", "validation_failed", "payload_too_large", "unsupported_media_type", ...AUTH, "rate_limited", "not_found", "unavailable", "internal"],
    },
    {
      id: "healthz",
      method: "get",
      path: "/healthz",
      summary: "200 when the control database and Redis answer",
      tag: "operations",
      auth: null,
      ok: { status: 200, description: "Healthy.", schema: okSchema },
      errors: ["unavailable", "internal"],
    },
    {
      id: "openapi",
      method: "get",
      path: "/openapi.json",
      summary: "This document",
      tag: "operations",
      auth: null,
      ok: { status: 200, description: "The OpenAPI 3.1 document.", schema: z.record(z.string(), z.unknown()) },
      errors: ["internal"],
    },
    {
      id: "livez",
      method: "get",
      path: "/livez",
      summary: "200 while the process runs",
      tag: "operations",
      auth: null,
      ok: { status: 200, description: "Alive.", schema: okSchema },
      errors: [],
    },
    {
      id: "readyz",
      method: "get",
      path: "/readyz",
      summary: "200 when the edge takes traffic; 503 while draining or when a dependency is down",
      tag: "operations",
      auth: null,
      ok: { status: 200, description: "Ready.", schema: okSchema },
      errors: ["unavailable"],
    },
    {
      id: "metrics",
      method: "get",
      path: "/metrics",
      summary: "Prometheus metrics",
      description: "Needs `Authorization: Bearer <metrics token>` when the edge has one.",
      tag: "operations",
      auth: "metrics",
      ok: { status: 200, description: "Prometheus text exposition.", contentType: "text/plain; version=0.0.4" },
      errors: ["unauthenticated"],
    },
  ];
}
