import { z } from "zod";
import { ingestBatchSchema, rawEventSchema, type IngestLimits } from "@shardcast/core";
import { hintSchema } from "../telemetry/hints.ts";
import { ingestInput, ingestOutput } from "../trpc/procedures/ingest.ts";
import { consumerRoutes } from "./consumer-routes.ts";
import { forecastRoutes } from "./forecast-routes.ts";
import {
  AUTH,
  cacheStatusHeader,
  hintsAnswerSchema,
  hintsQuery,
  keyEventsSchema,
  keyParams,
  keyQuery,
  okSchema,
  streamPositionPageSchema,
  positionQuery,
  READ_ERRORS,
  streamParams,
  type RouteSpec,
} from "./route-spec.ts";

export * from "./route-spec.ts";

/**
 * The edge's HTTP surface as data: the router in `server.ts` answers exactly these routes (each
 * needs a handler there, by id) and `/openapi.json` is generated from them, so neither can list a
 * route the other lacks. Path and query parameters are parsed with the schemas given here.
 */
export function edgeRoutes(limits: IngestLimits): RouteSpec[] {
  return [...eventRoutes(limits), ...forecastRoutes(limits.maxKeyLength), ...consumerRoutes()];
}

function eventRoutes(limits: IngestLimits): RouteSpec[] {
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
      description:
        "Never past the watermark. Counts the events returned against the key's read quota; the page is capped at the events left in it. Served from the edge's shard cache when every shardlet's range is cached from the position on. A position past the watermark answers an empty page (a write may hold it) unless no write was ever given it: 400. Events expired under the stream's retention are not returned: a position before the stream's first stored position answers from its oldest stored event, with `start`.",
      tag: "events",
      auth: "consume",
      params: streamParams,
      query: positionQuery,
      ok: { status: 200, description: "A page of events.", schema: streamPositionPageSchema, headers: cacheStatusHeader(["hit", "miss"]) },
      errors: READ_ERRORS,
    },
    {
      id: "readByKey",
      method: "get",
      path: "/v1/streams/{stream}/keys/{key}/events",
      summary: "Read a key's events in a time range",
      tag: "events",
      auth: "consume",
      params: keyParams(limits.maxKeyLength),
      query: keyQuery,
      ok: { status: 200, description: "The key's events.", schema: keyEventsSchema },
      errors: READ_ERRORS,
    },
    {
      id: "createHints",
      method: "post",
      path: "/v1/hints",
      summary: "Announce the rate a producer expects for a key range",
      description:
        "Give exactly one of `lo`/`hi`, `keyFrom`/`keyTo` or `keys`. Needs a key that may produce to the stream. Each stored range counts as an event of the key's produce quota; a stream holds a bounded number of hints that have not ended (409 past it).",
      tag: "hints",
      auth: "produce",
      body: hintSchema(limits.maxKeyLength),
      ok: { status: 201, description: "The stored hints.", schema: hintsAnswerSchema },
      errors: ["bad_request", "validation_failed", "payload_too_large", "unsupported_media_type", ...AUTH, "rate_limited", "not_found", "conflict", "unavailable", "internal"],
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
