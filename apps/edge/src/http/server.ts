import http from "node:http";
import { TRPCError } from "@trpc/server";
import { createHTTPHandler } from "@trpc/server/adapters/standalone";
import { DEFAULT_INGEST_LIMITS, isShardcastError, retryAfterHeader, ShardcastError, type IngestLimits } from "@shardcast/core";
import { storageUnavailable } from "@shardcast/db";
import type { Logger } from "@shardcast/runtime";
import { handleOpsRequest, requestUrl, type OpsEndpoints } from "@shardcast/runtime/metrics";
import { toTrpcError } from "@shardcast/runtime/trpc-error";
import type { ApiKeyAuth, KeyGrant } from "../auth.ts";
import type { ConsumerCoordinator } from "../consumers/coordinator.ts";
import type { ForecastReader } from "../forecasts.ts";
import type { IngestService } from "../ingest.ts";
import type { QuotaService } from "../quota.ts";
import type { ReadService } from "../reads.ts";
import type { HintService } from "../telemetry/hints.ts";
import { readerIdentity } from "../telemetry/readers.ts";
import { edgeRouter } from "../trpc/router.ts";
import { openApiDocument } from "./openapi.ts";
import { compile, parse, parseBody, queryOf, SEGMENT_NAMES } from "./route-input.ts";
import { declaresJson, pathParam, readJson, readJsonText, sendError, sendEvents, sendInternalError, sendJson } from "./respond.ts";
import { commitBody, groupParams, heartbeatBody, joinBody, leaveBody, memberParams, pollBody, shardletParams } from "./consumer-routes.ts";
import { forecastQuery } from "./forecast-routes.ts";
import { CACHE_STATUS_HEADER, edgeRoutes, hintsQuery, keyParams, keyQuery, positionQuery, streamParams, type RouteId, type RouteSpec } from "./routes.ts";

export interface EdgeServerDeps {
  auth: ApiKeyAuth;
  ingest: IngestService;
  reads: ReadService;
  /** Per-key produce and read limits (absent: none). */
  quotas?: QuotaService;
  /** Consumer groups and per-shardlet reads (absent: 404). */
  consumers?: ConsumerCoordinator;
  /** `POST /v1/hints` and `GET /v1/hints?stream=` (absent: 404). */
  hints?: HintService;
  /** `GET /v1/streams/{stream}/forecast` (absent: 404). */
  forecasts?: ForecastReader;
  log: Logger;
  maxBodyBytes: number;
  /** Limits shown in the published schemas and applied to keys in paths (default: the product defaults). */
  limits?: IngestLimits;
  /** Health probe: resolves when the control database and Redis answer. */
  health: () => Promise<void>;
  /** `/metrics`, `/livez`, `/readyz`, and the drain at shutdown (absent: 404). */
  ops?: OpsEndpoints;
}

interface RouteContext {
  req: http.IncomingMessage;
  res: http.ServerResponse;
  url: URL;
  /** Percent-decoded path segments named in the route's template. */
  segments: Record<string, string>;
}

type Handler = (ctx: RouteContext) => Promise<void>;

/**
 * The edge's HTTP surface: exactly the routes of `edgeRoutes` (REST ingest and reads, hints, tRPC
 * ingest, health, the OpenAPI document and the operations endpoints); anything else is a 404.
 */
export function createEdgeServer(deps: EdgeServerDeps): http.Server {
  // A tRPC request the edge refused before or while reading its body (see trpcIngest), answered as tRPC errors are.
  const refusedRequests = new WeakMap<http.IncomingMessage, ShardcastError>();
  // The key of a tRPC request, authenticated before its body was read.
  const grants = new WeakMap<http.IncomingMessage, KeyGrant>();
  const trpc = createHTTPHandler({
    router: edgeRouter,
    basePath: "/trpc/",
    maxBodySize: deps.maxBodyBytes,
    // A refused batch over its quota says when to retry, as the REST answer does.
    responseMeta: ({ errors }) => ({ headers: retryAfterHeader(errors) }),
    // Answers keep an unexpected error's message to themselves (see trpc/init.ts): the log has it.
    onError: ({ error }) => {
      if (error.code === "INTERNAL_SERVER_ERROR" && !isShardcastError(error.cause)) deps.log.error("unhandled error", { err: error.cause ?? error });
    },
    createContext: ({ req }) => {
      const refused = refusedRequests.get(req);
      if (refused) throw toTrpcError(refused);
      const grant = grants.get(req);
      if (!grant) throw new TRPCError({ code: "INTERNAL_SERVER_ERROR", message: "a tRPC request reached its procedure unauthenticated" });
      return { grant, auth: deps.auth, ingest: deps.ingest, reads: deps.reads, quotas: deps.quotas };
    },
  });
  const { auth, quotas } = deps;
  const limits = deps.limits ?? { ...DEFAULT_INGEST_LIMITS, maxBodyBytes: deps.maxBodyBytes };
  const keyPath = keyParams(limits.maxKeyLength);
  const forecastParams = forecastQuery(limits.maxKeyLength);

  const hintService = (): HintService => {
    if (!deps.hints) throw new ShardcastError("not_found", "hints are not served by this edge");
    return deps.hints;
  };
  const forecasts = (): ForecastReader => {
    if (!deps.forecasts) throw new ShardcastError("not_found", "forecasts are not served by this edge");
    return deps.forecasts;
  };
  const consumers = (): ConsumerCoordinator => {
    if (!deps.consumers) throw new ShardcastError("not_found", "consumer groups are not served by this edge");
    return deps.consumers;
  };
  /** The body of a request that may have none (DELETE, heartbeat). */
  const optionalJson = async (req: http.IncomingMessage): Promise<unknown> => {
    const length = Number(req.headers["content-length"] ?? 0);
    return length > 0 || req.headers["transfer-encoding"] ? readJson(req, deps.maxBodyBytes) : {};
  };
  const ops: Handler = async ({ req, res, url }) => {
    if (!deps.ops || !(await handleOpsRequest(req, res, url.pathname, deps.ops))) throw new ShardcastError("not_found", `no route for ${url.pathname}`);
  };

  const handlers: Record<RouteId, Handler> = {
    ingest: async ({ req, res, segments }) => {
      const { stream } = parse(streamParams, segments, "path parameter");
      const grant = await auth.authorize(req.headers.authorization, stream, "produce");
      const body = await readJson(req, deps.maxBodyBytes);
      sendJson(res, 200, await deps.ingest.ingest(stream, body, quotas && ((events, bytes) => quotas.admitProduce(grant, events, bytes))));
    },
    readByPosition: async ({ req, res, url, segments }) => {
      const { stream } = parse(streamParams, segments, "path parameter");
      const grant = await auth.authorize(req.headers.authorization, stream, "consume");
      const q = parse(positionQuery, queryOf(url, positionQuery), "query parameter");
      const admission = await quotas?.admitRead(grant);
      const limit = Math.min(q.limit, admission?.maxEvents ?? q.limit);
      const { cache, ...page } = await deps.reads.byPosition(stream, q.after, limit, readerIdentity(req.headers, grant.name));
      const headers: Record<string, string> = cache ? { [CACHE_STATUS_HEADER]: cache } : {};
      // Only a page the cache served holds kept texts (a miss answers with the hosts' events).
      const bytes = cache === "hit" ? sendEvents(res, page, headers) : sendJson(res, 200, page, false, headers);
      admission?.charge(page.events.length, bytes);
    },
    readByKey: async ({ req, res, url, segments }) => {
      const { stream, key } = parse(keyPath, segments, "path parameter");
      const grant = await auth.authorize(req.headers.authorization, stream, "consume");
      const q = parse(keyQuery, queryOf(url, keyQuery), "query parameter");
      const admission = await quotas?.admitRead(grant);
      const limit = Math.min(q.limit, admission?.maxEvents ?? q.limit);
      const page = await deps.reads.byKey(stream, key, { fromTs: q.from, toTs: q.to, afterSeq: q.after, limit }, readerIdentity(req.headers, grant.name));
      const bytes = sendJson(res, 200, page);
      admission?.charge(page.events.length, bytes);
    },
    readForecast: async ({ req, res, url, segments }) => {
      const { stream } = parse(streamParams, segments, "path parameter");
      const grant = await auth.authorize(req.headers.authorization, stream, "consume");
      const q = parse(forecastParams, queryOf(url, forecastParams), "query parameter");
      const admission = await quotas?.admitRead(grant);
      const answer = await forecasts()(stream, { shardletId: q.shardlet, key: q.key, horizonSec: q.horizon });
      // A forecast counts as one event read (taken on admission) and its bytes.
      admission?.charge(1, sendJson(res, 200, answer));
    },
    listShardlets: async ({ req, res, segments }) => {
      const { stream } = parse(streamParams, segments, "path parameter");
      await auth.authorize(req.headers.authorization, stream, "consume");
      sendJson(res, 200, await consumers().shardlets(stream));
    },
    readShardlet: async ({ req, res, url, segments }) => {
      const { stream, shardlet } = parse(shardletParams, segments, "path parameter");
      const grant = await auth.authorize(req.headers.authorization, stream, "consume");
      const q = parse(positionQuery, queryOf(url, positionQuery), "query parameter");
      const admission = await quotas?.admitRead(grant);
      const limit = Math.min(q.limit, admission?.maxEvents ?? q.limit);
      const { cache, ...page } = await consumers().readShardlet(stream, shardlet, q.after, limit, readerIdentity(req.headers, grant.name));
      // As a header, not in the page: it says how this edge answered, not what the log holds.
      const headers: Record<string, string> = cache ? { [CACHE_STATUS_HEADER]: cache } : {};
      admission?.charge(page.events.length, cache === "hit" || cache === "partial" ? sendEvents(res, page, headers) : sendJson(res, 200, page, false, headers));
    },
    joinGroup: async ({ req, res, segments }) => {
      const { stream, group } = parse(groupParams, segments, "path parameter");
      const grant = await auth.authorize(req.headers.authorization, stream, "consume");
      const body = parseBody(joinBody, await optionalJson(req));
      sendJson(res, 201, await consumers().join(grant, stream, group, body));
    },
    pollGroup: async ({ req, res, segments }) => {
      const { stream, group, member } = parse(memberParams, segments, "path parameter");
      const grant = await auth.authorize(req.headers.authorization, stream, "consume");
      const body = parseBody(pollBody, await optionalJson(req));
      const admission = await quotas?.admitRead(grant);
      const limit = Math.min(body.limit ?? 500, admission?.maxEvents ?? Number.MAX_SAFE_INTEGER);
      const answer = await consumers().poll(grant, stream, group, member, { ...body, limit }, readerIdentity(req.headers, grant.name, group));
      admission?.charge(answer.batches.reduce((n, b) => n + b.events.length, 0), sendEvents(res, answer));
    },
    commitGroup: async ({ req, res, segments }) => {
      const { stream, group, member } = parse(memberParams, segments, "path parameter");
      const grant = await auth.authorize(req.headers.authorization, stream, "consume");
      const body = parseBody(commitBody, await readJson(req, deps.maxBodyBytes));
      sendJson(res, 200, await consumers().commit(grant, stream, group, member, body.commits));
    },
    heartbeatGroup: async ({ req, res, segments }) => {
      const { stream, group, member } = parse(memberParams, segments, "path parameter");
      const grant = await auth.authorize(req.headers.authorization, stream, "consume");
      // Clients before telemetry send no body.
      const body = parseBody(heartbeatBody, await optionalJson(req));
      sendJson(res, 200, await consumers().heartbeat(grant, stream, group, member, body.telemetry));
    },
    leaveGroup: async ({ req, res, segments }) => {
      const { stream, group, member } = parse(memberParams, segments, "path parameter");
      const grant = await auth.authorize(req.headers.authorization, stream, "consume");
      const body = parseBody(leaveBody, await optionalJson(req));
      sendJson(res, 200, await consumers().leave(grant, stream, group, member, body.commits ?? []));
    },
    describeGroup: async ({ req, res, segments }) => {
      const { stream, group } = parse(groupParams, segments, "path parameter");
      const grant = await auth.authorize(req.headers.authorization, stream, "consume");
      sendJson(res, 200, await consumers().describe(grant, stream, group));
    },
    createHints: async ({ req, res }) => {
      const hints = hintService();
      // An unknown key is refused before the body is read; scope is checked once the stream is known.
      const grant = await auth.authenticate(req.headers.authorization);
      const body = await readJson(req, deps.maxBodyBytes);
      const access = { permit: (stream: string) => auth.permit(grant, stream, "produce"), charge: (rows: number) => quotas?.admitHints(grant, rows) ?? Promise.resolve(), refund: (rows: number) => quotas?.refundHints(grant, rows) };
      sendJson(res, 201, await hints.create(body, access));
    },
    listHints: async ({ req, res, url }) => {
      const hints = hintService();
      const grant = await auth.authenticate(req.headers.authorization);
      const { stream } = parse(hintsQuery, queryOf(url, hintsQuery), "query parameter");
      auth.permit(grant, stream, "produce");
      sendJson(res, 200, await hints.list(stream));
    },
    trpcIngest: async ({ req, res }) => {
      // The key first, as REST does: no body is read for a request without a valid one. The edge
      // reads a JSON body itself, with the REST checks: tRPC would decode bytes that are not UTF-8
      // into U+FFFD and store them changed. tRPC takes a body it is handed as `req.body`; handed
      // an empty one, it reads none and answers the refusal (see createContext).
      try {
        grants.set(req, await auth.authenticate(req.headers.authorization));
        if (req.method === "POST" && declaresJson(req)) Object.assign(req, { body: await readJsonText(req, deps.maxBodyBytes) });
      } catch (err) {
        const refusal = storageUnavailable(err, "the key lookup") ?? err;
        if (!isShardcastError(refusal)) throw err;
        refusedRequests.set(req, refusal);
        Object.assign(req, { body: "" });
      }
      trpc(req, res);
    },
    healthz: async ({ res }) => {
      await deps.health();
      sendJson(res, 200, { ok: true });
    },
    openapi: ({ res }) => {
      sendJson(res, 200, document);
      return Promise.resolve();
    },
    livez: ops,
    readyz: ops,
    metrics: ops,
  };

  const served = (route: RouteSpec): boolean => {
    if (route.tag === "hints") return deps.hints !== undefined;
    if (route.tag === "forecasts") return deps.forecasts !== undefined;
    if (route.tag === "consumers") return deps.consumers !== undefined;
    if (route.id === "livez" || route.id === "readyz" || route.id === "metrics") return deps.ops !== undefined;
    return true;
  };
  const routes = edgeRoutes(limits).filter(served);
  const document = openApiDocument(routes, "1");
  const table = routes.map((route) => ({ route, ...compile(route), handler: handlers[route.id] }));

  const handle = async (req: http.IncomingMessage, res: http.ServerResponse) => {
    const url = requestUrl(req);
    if (!url) {
      sendError(res, new ShardcastError("bad_request", "the request target is not a valid path"), deps.log);
      return;
    }
    const path = url.pathname;
    if (deps.ops) {
      // While draining, every answer ends its connection, so clients reconnect to another edge.
      if (deps.ops.draining()) res.setHeader("connection", "close");
      try {
        if (await handleOpsRequest(req, res, path, deps.ops)) return;
      } catch (err) {
        sendError(res, err, deps.log);
        return;
      }
    }
    try {
      const method = req.method === "HEAD" ? "get" : (req.method ?? "").toLowerCase();
      const matches = table.map((t) => ({ t, m: t.re.exec(path) })).filter((x) => x.m !== null);
      if (matches.length === 0) throw new ShardcastError("not_found", `no route for ${req.method ?? "?"} ${path}`);
      const found = matches.find((x) => x.t.route.method === method);
      if (!found?.m) {
        const allow = matches.map((x) => x.t.route.method.toUpperCase());
        throw new ShardcastError("method_not_allowed", `method ${req.method ?? "?"} is not allowed here; use ${allow.join(" or ")}`, { allow });
      }
      const segments: Record<string, string> = {};
      for (const [i, name] of found.t.names.entries()) segments[name] = pathParam(found.m[i + 1] ?? "", SEGMENT_NAMES[name] ?? name);
      await found.t.handler({ req, res, url, segments });
    } catch (err) {
      sendError(res, err, deps.log);
    }
  };

  const server = http.createServer((req, res) => {
    // `handle` answers its own errors; this catches one thrown while answering, which would
    // otherwise be an unhandled rejection (and end the process).
    handle(req, res).catch((err: unknown) => {
      deps.log.error("request handler failed", { err });
      if (res.headersSent) res.destroy();
      else sendInternalError(res);
    });
  });
  server.keepAliveTimeout = 65_000;
  return server;
}
