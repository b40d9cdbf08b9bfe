import { randomUUID } from "node:crypto";
import type { ControlDb } from "@shardcast/db";
import type { HostPool } from "@shardcast/db/host";
import { createTestCluster } from "@shardcast/db/testing";
import { createLogger, createRedis } from "@shardcast/runtime";
import { DEFAULT_INGEST_LIMITS } from "@shardcast/core";
import { testRedisUrl } from "@shardcast/runtime/testing/env";
import { createEdge, type Edge, type EdgeConfig } from "../src/app.ts";

export interface Harness {
  db: ControlDb;
  hosts: HostPool;
  edge: Edge;
  url: string;
  prefix: string;
  token: string;
  streamId: string;
  stream: string;
  hostIds: string[];
  /** hostId -> DSN, for tests that inspect host tables directly. */
  hostDsns: Map<string, string>;
  /** Another edge over the same databases and Redis prefix (closed with the harness); returns its URL. */
  startEdge(edge?: Pick<EdgeConfig, "readCache">): Promise<string>;
  close(): Promise<void>;
}

/** A real edge over real PostgreSQL (a control db and three host dbs) and real Redis. */
export async function startHarness(
  opts: { stream?: string; shardCount?: number; redisUrl?: string; edge?: Pick<EdgeConfig, "shutdownGraceMs" | "metricsToken" | "apiKeyCache" | "readCache" | "maxActiveHintsPerStream" | "maxGroupsPerStream"> } = {},
): Promise<Harness> {
  const redisUrl = opts.redisUrl ?? testRedisUrl();
  const cluster = await createTestCluster({ hosts: 3, stream: opts.stream ?? "orders", shardCount: opts.shardCount ?? 4, shardletsPerShard: 2 });
  const prefix = `edge-test-${randomUUID()}`;
  const config = (more: Pick<EdgeConfig, "shutdownGraceMs" | "metricsToken" | "apiKeyCache" | "readCache" | "maxActiveHintsPerStream" | "maxGroupsPerStream"> = {}): EdgeConfig => ({
    databaseUrl: cluster.controlUrl,
    redisUrl,
    redisPrefix: prefix,
    limits: { ...DEFAULT_INGEST_LIMITS, maxEventBytes: 4096, maxBodyBytes: 1024 * 1024 },
    routingRefreshMs: 60_000,
    lockResyncMs: 5_000,
    hostPoolSize: 8,
    log: createLogger({ app: "edge-test" }, { level: "error" }),
    ...more,
  });
  const edge = createEdge(config(opts.edge));
  const port = await edge.listen(0, "127.0.0.1");
  const others: Edge[] = [];
  return {
    db: cluster.db,
    hosts: cluster.hosts,
    edge,
    url: `http://127.0.0.1:${port}`,
    prefix,
    token: cluster.token,
    streamId: cluster.streamId,
    stream: cluster.stream,
    hostIds: cluster.hostIds,
    hostDsns: cluster.hostDsns,
    startEdge: async (more) => {
      const other = createEdge(config(more));
      others.push(other);
      return `http://127.0.0.1:${await other.listen(0, "127.0.0.1")}`;
    },
    close: async () => {
      for (const other of others) await other.close();
      await edge.close();
      const redis = createRedis(redisUrl);
      const keys = [...(await redis.keys(`${prefix}:*`)), ...(await redis.keys(`{${prefix}}:*`))];
      if (keys.length) await redis.del(...keys);
      await redis.quit();
      await cluster.drop();
    },
  };
}

export async function post(h: Harness, path: string, body: unknown, token: string | null = h.token, raw?: string) {
  const res = await fetch(h.url + path, {
    method: "POST",
    headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: raw ?? JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown>, headers: res.headers };
}

export async function get(h: Harness, path: string, token: string | null = h.token) {
  const res = await fetch(h.url + path, { headers: token ? { authorization: `Bearer ${token}` } : {} });
  return { status: res.status, body: (await res.json()) as Record<string, unknown>, headers: res.headers };
}

/** Rows of the stream on every host. */
export async function totalRows(h: Harness): Promise<number> {
  let n = 0;
  for (const id of h.hostIds) n += await (await h.hosts.get(id)).countEvents(h.streamId);
  return n;
}
