import http from "node:http";
import { createHTTPHandler } from "@trpc/server/adapters/standalone";
import { ShardcastError, streamNameSchema } from "@shardcast/core";
import type { Logger } from "@shardcast/runtime";
import { handleOpsRequest, type OpsEndpoints } from "@shardcast/runtime/metrics";
import type { ApiKeyAuth } from "../auth.ts";
import type { IngestService } from "../ingest.ts";
import { MAX_READ_LIMIT, type ReadService } from "../reads.ts";
import type { HintService } from "../telemetry/hints.ts";
import { readerIdentity } from "../telemetry/readers.ts";
import { edgeRouter } from "../trpc/router.ts";
import { intParam, pathParam, readJson, sendError, sendJson, timeParam } from "./respond.ts";

export interface EdgeServerDeps {
  auth: ApiKeyAuth;
  ingest: IngestService;
  reads: ReadService;
  /** `POST /v1/hints` and `GET /v1/hints?stream=` (absent: 404). */
  hints?: HintService;
  log: Logger;
  maxBodyBytes: number;
  /** Health probe: resolves when the control database and Redis answer. */
  health: () => Promise<void>;
  /** `/metrics`, `/livez`, `/readyz`, and the drain at shutdown (absent: 404). */
  ops?: OpsEndpoints;
}

const EVENTS = /^\/v1\/streams\/([^/]+)\/events$/;
const KEY_EVENTS = /^\/v1\/streams\/([^/]+)\/keys\/([^/]+)\/events$/;

function streamParam(raw: string): string {
  const name = pathParam(raw, "stream name");
  const parsed = streamNameSchema.safeParse(name);
  if (!parsed.success) throw new ShardcastError("bad_request", parsed.error.issues[0]?.message ?? "invalid stream name");
  return name;
}

/** The edge's HTTP surface: REST ingest and reads, tRPC ingest under /trpc/, /healthz, and the operations endpoints. */
export function createEdgeServer(deps: EdgeServerDeps): http.Server {
  const trpc = createHTTPHandler({
    router: edgeRouter,
    basePath: "/trpc/",
    maxBodySize: deps.maxBodyBytes,
    createContext: ({ req }) => ({
      authorization: req.headers.authorization,
      auth: deps.auth,
      ingest: deps.ingest,
      reads: deps.reads,
    }),
  });

  const handle = async (req: http.IncomingMessage, res: http.ServerResponse) => {
    const url = new URL(req.url ?? "/", "http://edge");
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
    if (path.startsWith("/trpc/")) {
      trpc(req, res);
      return;
    }
    try {
      if (path === "/healthz") {
        await deps.health();
        sendJson(res, 200, { ok: true });
        return;
      }
      let m = EVENTS.exec(path);
      if (m?.[1]) {
        const stream = streamParam(m[1]);
        if (req.method === "POST") {
          await deps.auth.authorize(req.headers.authorization, stream, "produce");
          const body = await readJson(req, deps.maxBodyBytes);
          sendJson(res, 200, await deps.ingest.ingest(stream, body));
          return;
        }
        if (req.method === "GET") {
          const grant = await deps.auth.authorize(req.headers.authorization, stream, "consume");
          const after = intParam(url, "after", 0, 0, Number.MAX_SAFE_INTEGER);
          const limit = intParam(url, "limit", 100, 1, MAX_READ_LIMIT);
          sendJson(res, 200, await deps.reads.byPosition(stream, after, limit, readerIdentity(req.headers, grant.name)));
          return;
        }
        throw new ShardcastError("bad_request", `method ${req.method ?? "?"} is not allowed here; use GET or POST`);
      }
      m = KEY_EVENTS.exec(path);
      if (m?.[1] && m[2]) {
        const stream = streamParam(m[1]);
        if (req.method !== "GET") throw new ShardcastError("bad_request", "use GET to read events by key");
        const grant = await deps.auth.authorize(req.headers.authorization, stream, "consume");
        const events = await deps.reads.byKey(
          stream,
          pathParam(m[2], "key"),
          { fromTs: timeParam(url, "from"), toTs: timeParam(url, "to"), limit: intParam(url, "limit", 100, 1, MAX_READ_LIMIT) },
          readerIdentity(req.headers, grant.name),
        );
        sendJson(res, 200, { events });
        return;
      }
      if (path === "/v1/hints" && deps.hints) {
        const hints = deps.hints;
        const authorization = req.headers.authorization;
        // A missing key is refused before the body is read; scope is checked once the stream is known.
        if (!authorization) throw new ShardcastError("unauthenticated", "missing API key: send `Authorization: Bearer <key>`");
        if (req.method === "POST") {
          const body = await readJson(req, deps.maxBodyBytes);
          sendJson(res, 201, await hints.create(body, (stream) => deps.auth.authorize(authorization, stream, "produce")));
          return;
        }
        if (req.method === "GET") {
          const stream = streamParam(url.searchParams.get("stream") ?? "");
          await deps.auth.authorize(authorization, stream, "produce");
          sendJson(res, 200, await hints.list(stream));
          return;
        }
        throw new ShardcastError("bad_request", `method ${req.method ?? "?"} is not allowed here; use GET or POST`);
      }
      throw new ShardcastError("not_found", `no route for ${req.method ?? "?"} ${path}`);
    } catch (err) {
      sendError(res, err, deps.log);
    }
  };

  const server = http.createServer((req, res) => void handle(req, res));
  server.keepAliveTimeout = 65_000;
  return server;
}
