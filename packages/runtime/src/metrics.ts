import { timingSafeEqual } from "node:crypto";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { collectDefaultMetrics, Registry } from "prom-client";
import { z } from "zod";
import { errorStatus, ShardcastError } from "@shardcast/core";
import type { Logger } from "./logger.ts";

export { Counter, Gauge, Histogram, Registry } from "prom-client";

/**
 * `SHARDCAST_METRICS_TOKEN` of every part's env module: empty means unset (a copied `.env.example`
 * has it empty), else a bearer token long enough not to be guessed.
 */
export const metricsTokenSchema = z
  .string()
  .optional()
  .transform((v) => v?.trim() || undefined)
  .refine((v) => v === undefined || v.length >= 16, "SHARDCAST_METRICS_TOKEN must have at least 16 characters");

/** The Prometheus text exposition format, version 0.0.4. */
export const METRICS_CONTENT_TYPE = Registry.PROMETHEUS_CONTENT_TYPE;

/**
 * Latency buckets in seconds, from a millisecond to ten seconds: ingest acks and reads sit in the
 * low milliseconds when healthy and stretch to seconds only while a host or Redis struggles.
 */
export const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/**
 * A registry of its own per process part (never prom-client's global one), so several parts can
 * run in one process, as the tests do, without clashing names. `processMetrics` adds the default
 * process and Node.js metrics (CPU, memory, event loop lag, GC).
 */
export function createMetricsRegistry(opts: { processMetrics?: boolean } = {}): Registry {
  const registry = new Registry();
  if (opts.processMetrics ?? true) collectDefaultMetrics({ register: registry });
  return registry;
}

/**
 * Caps a label's distinct values: the first `max` values seen are kept, later ones become
 * `_other`, so a label fed from requests (stream names) cannot grow the series without bound.
 */
export function boundedLabel(max: number): (value: string) => string {
  const seen = new Set<string>();
  return (value) => {
    if (seen.has(value)) return value;
    if (seen.size >= max) return "_other";
    seen.add(value);
    return value;
  };
}

/** What a process part exposes on `/livez`, `/readyz` and `/metrics`. */
export interface OpsEndpoints {
  registry: Registry;
  /** Resolves when the part's dependencies (control database, Redis) answer. */
  ready(): Promise<void>;
  /** True from the start of shutdown: readiness fails so load balancers stop sending work. */
  draining(): boolean;
  /** When set, `/metrics` needs `Authorization: Bearer <token>`. */
  metricsToken?: string | undefined;
  /** More exposition text appended after the registry's (e.g. BullMQ's queue gauges). */
  extraMetrics?: () => Promise<string>;
  log?: Logger;
}

function sendJson(res: http.ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json", "cache-control": "no-store", "content-length": Buffer.byteLength(text) });
  res.end(text);
}

/** An error answer: the body is the error's, the status the one `errorStatus` maps its code to. */
function sendErrorJson(res: http.ServerResponse, err: ShardcastError): void {
  sendJson(res, errorStatus(err.code), err.toJSON());
}

function tokenMatches(header: string | undefined, token: string): boolean {
  const m = /^Bearer\s+(.+)$/i.exec(header ?? "");
  if (!m?.[1]) return false;
  const given = Buffer.from(m[1].trim());
  const want = Buffer.from(token);
  return given.length === want.length && timingSafeEqual(given, want);
}

/** The exposition text of `ops`: the registry, then the extra text (left out if it fails). */
export async function metricsText(ops: Pick<OpsEndpoints, "registry" | "extraMetrics" | "log">): Promise<string> {
  let text = await ops.registry.metrics();
  if (ops.extraMetrics) {
    try {
      const extra = await ops.extraMetrics();
      if (extra) text += extra.endsWith("\n") ? extra : `${extra}\n`;
    } catch (err) {
      // A scrape that reports the process without the extra gauges beats a failed scrape.
      ops.log?.warn("could not collect extra metrics", { err });
    }
  }
  return text;
}

/**
 * Answers `GET /livez`, `/readyz` and `/metrics`; returns false for any other request, which the
 * caller then routes itself.
 */
export async function handleOpsRequest(req: http.IncomingMessage, res: http.ServerResponse, path: string, ops: OpsEndpoints): Promise<boolean> {
  if (req.method !== "GET" && req.method !== "HEAD") return false;
  if (path === "/livez") {
    sendJson(res, 200, { ok: true });
    return true;
  }
  if (path === "/readyz") {
    if (ops.draining()) {
      sendJson(res, 503, { ok: false, reason: "draining" });
      return true;
    }
    try {
      await ops.ready();
      sendJson(res, 200, { ok: true });
    } catch (err) {
      ops.log?.warn("readiness check failed", { err });
      sendJson(res, 503, { ok: false, reason: "dependencies" });
    }
    return true;
  }
  if (path === "/metrics") {
    if (ops.metricsToken && !tokenMatches(req.headers.authorization, ops.metricsToken)) {
      res.setHeader("www-authenticate", 'Bearer realm="metrics"');
      sendErrorJson(res, new ShardcastError("unauthenticated", "metrics need `Authorization: Bearer <metrics token>`"));
      return true;
    }
    const text = await metricsText(ops);
    res.writeHead(200, { "content-type": METRICS_CONTENT_TYPE, "cache-control": "no-store" });
    res.end(text);
    return true;
  }
  return false;
}

export interface OpsServer {
  port: number;
  close(): Promise<void>;
}

/**
 * The request's URL, or null when its target is not one: Node's parser passes request targets
 * such as `//[` or `//%zz` that `new URL` throws on, and a throw there, outside any handler's
 * error path, would end the process. Every server here answers such a request with a 400.
 */
export function requestUrl(req: http.IncomingMessage): URL | null {
  try {
    return new URL(req.url ?? "/", "http://localhost");
  } catch {
    return null;
  }
}

/** A small HTTP server with only the operations endpoints (the worker's health port). */
export async function startOpsServer(port: number, host: string, ops: OpsEndpoints): Promise<OpsServer> {
  const server = http.createServer((req, res) => {
    const url = requestUrl(req);
    if (!url) {
      sendErrorJson(res, new ShardcastError("bad_request", "the request target is not a valid path"));
      return;
    }
    handleOpsRequest(req, res, url.pathname, ops).then(
      (handled) => {
        if (!handled) sendErrorJson(res, new ShardcastError("not_found", "try /livez, /readyz or /metrics"));
      },
      (err: unknown) => {
        ops.log?.error("operations endpoint failed", { err });
        if (!res.headersSent) sendErrorJson(res, new ShardcastError("internal", "internal error"));
        else res.destroy();
      },
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => resolve());
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
