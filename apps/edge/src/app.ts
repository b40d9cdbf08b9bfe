import type http from "node:http";
import type { AddressInfo } from "node:net";
import { LIFECYCLE_SETTINGS_KEY, parseLifecycleSettings, type IngestLimits } from "@shardcast/core";
import {
  createControlDb,
  getSettings,
  getStreamByName,
  HostPool,
  listShards,
  loadRoutes,
  loadShardletLoads,
  reserveSequence,
  verifyApiKey,
} from "@shardcast/db";
import {
  apiKeyChannel,
  createOpLocks,
  createRedis,
  lifecycleChannel,
  opLocksChannel,
  parseOpLockMessage,
  routingChannel,
  SequenceAllocator,
  type Logger,
} from "@shardcast/runtime";
import { ApiKeyAuth } from "./auth.ts";
import { createEdgeServer } from "./http/server.ts";
import { IngestService } from "./ingest.ts";
import { ReadService } from "./reads.ts";
import { LockView } from "./lock-view.ts";
import { RoutingCache } from "./routing-cache.ts";
import { ThresholdWatch } from "./threshold-watch.ts";

export interface EdgeConfig {
  databaseUrl: string;
  redisUrl: string;
  redisPrefix: string;
  limits: IngestLimits;
  routingRefreshMs: number;
  /** Full re-read of the op-lock view (the safety net for lost messages and expired locks). */
  lockResyncMs: number;
  hostPoolSize: number;
  log: Logger;
}

export interface Edge {
  server: http.Server;
  routing: RoutingCache;
  locks: LockView;
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

  // Split threshold for the early "this shardlet is filling up" hint; re-read with the routes.
  let splitThreshold = parseLifecycleSettings(undefined).splitThreshold;
  const refreshSettings = async () => {
    try {
      splitThreshold = parseLifecycleSettings((await getSettings(db))[LIFECYCLE_SETTINGS_KEY]).splitThreshold;
    } catch (err) {
      log.warn("could not read lifecycle settings", { err });
    }
  };
  const lifecycleCh = lifecycleChannel(cfg.redisPrefix);
  const watch = new ThresholdWatch(
    (shardletId) => void redis.publish(lifecycleCh, JSON.stringify({ shardletId })).catch((err: unknown) => log.warn("threshold report failed", { err })),
    { threshold: () => splitThreshold, quietMs: 10_000 },
  );
  const routing = new RoutingCache(
    {
      streamByName: async (name) => {
        const s = await getStreamByName(db, name);
        return s ? { id: s.id, name: s.name, keyField: s.keyField } : null;
      },
      routes: (streamId) => loadRoutes(db, streamId),
      shards: (streamId) => listShards(db, streamId),
    },
    log,
    Date.now,
    (entry) => {
      void refreshSettings();
      loadShardletLoads(db, entry.meta.id).then(
        (loads) => watch.setLoads(entry.meta.id, loads),
        (err: unknown) => log.warn("could not read shardlet sizes", { err }),
      );
    },
  );
  const opLocks = createOpLocks([redis], { prefix: cfg.redisPrefix, log });
  const locks = new LockView(() => opLocks.lockedShardlets(), log);
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
    isLocked: (id) => locks.has(id),
    observer: {
      written: (shardletId, _events, bytes) => watch.add(shardletId, bytes),
      fellBack: (shardletId, events) => log.debug("contention: events sent to the overflow log", { shardletId, events }),
    },
    hosts: {
      fencedWriteBatch: async (hostId, w) => (await hosts.get(hostId)).fencedWriteBatch(w),
      appendOverflow: async (hostId, w) => (await hosts.get(hostId)).appendOverflow(w),
    },
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
  const locksCh = opLocksChannel(cfg.redisPrefix);
  subscriber.on("message", (channel: string, message: string) => {
    try {
      const msg = JSON.parse(message) as { streamId?: string; prefix?: string };
      if (channel === routingCh) {
        routing.forgetMissing();
        if (msg.streamId) void routing.refreshById(msg.streamId).catch((err: unknown) => log.warn("routing refresh failed", { err }));
      } else if (channel === keysCh && msg.prefix) {
        auth.evictPrefix(msg.prefix);
      } else if (channel === locksCh) {
        const lock = parseOpLockMessage(message);
        if (lock) locks.apply(lock.shardletId, lock.locked);
      }
    } catch (err) {
      log.warn("ignored malformed pub/sub message", { channel, err });
    }
  });
  // A (re)connected subscriber may have missed messages: refresh everything.
  subscriber.on("ready", () => {
    void routing.refreshAll();
    void locks.resync();
  });
  void subscriber.subscribe(routingCh, keysCh, locksCh).catch((err: unknown) => log.error("pub/sub subscribe failed", { err }));
  routing.startPeriodicRefresh(cfg.routingRefreshMs);
  locks.start(cfg.lockResyncMs);

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
    locks,
    listen: (port, host) =>
      new Promise((resolve, reject) => {
        server.once("error", reject);
        server.listen(port, host, () => resolve((server.address() as AddressInfo).port));
      }),
    close: async () => {
      routing.stopPeriodicRefresh();
      locks.stop();
      await opLocks.close();
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
