import type http from "node:http";
import type { AddressInfo } from "node:net";
import type { IngestLimits } from "@shardcast/core";
import { createControlDb, getStreamByName, HostPool, loadRoutes, reserveSequence, verifyApiKey } from "@shardcast/db";
import { apiKeyChannel, createRedis, routingChannel, SequenceAllocator, type Logger } from "@shardcast/runtime";
import { ApiKeyAuth } from "./auth.ts";
import { createEdgeServer } from "./http/server.ts";
import { IngestService } from "./ingest.ts";
import { ReadService } from "./reads.ts";
import { RoutingCache } from "./routing-cache.ts";

export interface EdgeConfig {
  databaseUrl: string;
  redisUrl: string;
  redisPrefix: string;
  limits: IngestLimits;
  routingRefreshMs: number;
  hostPoolSize: number;
  log: Logger;
}

export interface Edge {
  server: http.Server;
  routing: RoutingCache;
  listen(port: number, host: string): Promise<number>;
  close(): Promise<void>;
}

/** Wires the edge from its configuration; `main.ts` and the integration tests both use this. */
export function createEdge(cfg: EdgeConfig): Edge {
  const { log } = cfg;
  const db = createControlDb(cfg.databaseUrl);
  const hosts = new HostPool(db, { poolSize: cfg.hostPoolSize });
  const redis = createRedis(cfg.redisUrl, { name: "edge" });
  const subscriber = createRedis(cfg.redisUrl, { name: "edge-sub" });

  const routing = new RoutingCache(
    {
      streamByName: async (name) => {
        const s = await getStreamByName(db, name);
        return s ? { id: s.id, name: s.name, keyField: s.keyField } : null;
      },
      routes: (streamId) => loadRoutes(db, streamId),
    },
    log,
  );
  const sequences = new SequenceAllocator(redis, {
    prefix: cfg.redisPrefix,
    reserve: (streamId, atLeast, step) => reserveSequence(db, streamId, atLeast, step),
    onReseed: (streamId, base) => log.warn("sequence counter re-seeded from the control database", { streamId, base }),
  });
  const auth = new ApiKeyAuth((token) => verifyApiKey(db, token));
  const ingest = new IngestService({
    routing,
    sequences,
    limits: cfg.limits,
    log,
    hosts: { fencedWriteBatch: async (hostId, w) => (await hosts.get(hostId)).fencedWriteBatch(w) },
  });
  const reads = new ReadService({
    routing,
    sequences,
    hosts: {
      readByPosition: async (hostId, q) => (await hosts.get(hostId)).readByPosition(q),
      readByKey: async (hostId, q) => (await hosts.get(hostId)).readByKey(q),
    },
  });

  const routingCh = routingChannel(cfg.redisPrefix);
  const keysCh = apiKeyChannel(cfg.redisPrefix);
  subscriber.on("message", (channel: string, message: string) => {
    try {
      const msg = JSON.parse(message) as { streamId?: string; prefix?: string };
      if (channel === routingCh) {
        routing.forgetMissing();
        if (msg.streamId) void routing.refreshById(msg.streamId).catch((err: unknown) => log.warn("routing refresh failed", { err }));
      } else if (channel === keysCh && msg.prefix) {
        auth.evictPrefix(msg.prefix);
      }
    } catch (err) {
      log.warn("ignored malformed pub/sub message", { channel, err });
    }
  });
  // A (re)connected subscriber may have missed messages: refresh everything.
  subscriber.on("ready", () => void routing.refreshAll());
  void subscriber.subscribe(routingCh, keysCh).catch((err: unknown) => log.error("pub/sub subscribe failed", { err }));
  routing.startPeriodicRefresh(cfg.routingRefreshMs);

  const server = createEdgeServer({
    auth,
    ingest,
    reads,
    log,
    maxBodyBytes: cfg.limits.maxBodyBytes,
    health: async () => {
      await Promise.all([db.$queryRaw`SELECT 1`, redis.ping()]);
    },
  });

  return {
    server,
    routing,
    listen: (port, host) =>
      new Promise((resolve, reject) => {
        server.once("error", reject);
        server.listen(port, host, () => resolve((server.address() as AddressInfo).port));
      }),
    close: async () => {
      routing.stopPeriodicRefresh();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
      });
      subscriber.disconnect();
      await redis.quit().catch(() => undefined);
      await hosts.closeAll();
      await db.$disconnect();
    },
  };
}
