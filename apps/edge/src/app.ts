import type { AddressInfo } from "node:net";
import { LIFECYCLE_SETTINGS_KEY, parseLifecycleSettings, PROFILER_SETTINGS_KEY } from "@shardcast/core";
import {
  createControlDb,
  getSequenceReserved,
  getPreallocSettings,
  getSettings,
  getStreamByName,
  insertLoadHints,
  listActiveHints,
  listShards,
  loadRoutes,
  loadShardletLoads,
  markOverflowPending,
  pingControlDb,
  reserveSequence,
  verifyApiKey,
} from "@shardcast/db";
import { HostPool, shadowWriteBatch } from "@shardcast/db/host";
import { createOpLockClients, createOpLocks, createRedis, lifecycleChannel, preallocEdgeId, publishRoutingChange, SequenceAllocator } from "@shardcast/runtime";
import { ApiKeyAuth } from "./auth.ts";
import { EdgeReadCache } from "./cache/read-cache.ts";
import { createConsumerCoordinator, DEFAULT_MAX_GROUPS_PER_STREAM } from "./consumers/wiring.ts";
import type { Edge, EdgeConfig } from "./edge-types.ts";
import { forecastReader } from "./forecasts.ts";
import { drainServer } from "./http/drain.ts";
import { createEdgeServer } from "./http/server.ts";
import { IngestService } from "./ingest.ts";
import { IssuedPositions } from "./issued-positions.ts";
import type { ShadowOutcome } from "./ingest-observer.ts";
import { QuotaService } from "./quota.ts";
import { ReadService } from "./reads.ts";
import { LockView } from "./lock-view.ts";
import { subscribeToEdgeChannels } from "./pubsub.ts";
import { RoutingCache } from "./routing-cache.ts";
import { ThresholdWatch } from "./threshold-watch.ts";
import { TelemetryCounters } from "./telemetry/counters.ts";
import { TelemetryFlusher } from "./telemetry/flusher.ts";
import { DEFAULT_ACTIVE_HINTS_PER_STREAM, HintService } from "./telemetry/hints.ts";
import { EdgeMetrics } from "./telemetry/metrics.ts";
import { readTelemetry, writeTelemetry } from "./telemetry/observe.ts";
import { EdgeProfiler, ProfilerSettingsCache } from "./telemetry/profiler.ts";
import { PreallocRunner } from "./prealloc/runner.ts";
import { DEFAULT_REPLICA_ROUTING, ReplicaHints } from "./consumers/replica-routing.ts";
import { ReplicaServedCounter } from "./consumers/replica-served.ts";

export type { Edge, EdgeConfig } from "./edge-types.ts";

/** Wires the edge from its configuration; `main.ts` and the integration tests both use this. */
export function createEdge(cfg: EdgeConfig): Edge {
  const { log } = cfg;
  const db = createControlDb(cfg.databaseUrl);
  const hosts = new HostPool(db, { poolSize: cfg.hostPoolSize });
  const redisTarget = { url: cfg.redisUrl, sentinel: cfg.redisSentinel };
  const redis = createRedis(redisTarget, { name: "edge" });
  const subscriber = createRedis(redisTarget, { name: "edge-sub", subscriber: true });
  // Requests that need Redis while it is down fail on their own (503); the connection errors are only logged.
  redis.on("error", (err: unknown) => log.warn("redis connection error", { err }));
  subscriber.on("error", (err: unknown) => log.warn("redis subscriber connection error", { err }));

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
  const metrics = new EdgeMetrics();
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
    (reason) => metrics.routeReloaded(reason),
  );
  // The locks are read where the workers take them; only their announcements use the main Redis.
  const lockClients = cfg.lockRedisUrls === undefined ? [] : createOpLockClients(cfg.lockRedisUrls, redisTarget);
  for (const c of lockClients) c.on("error", (err: unknown) => log.warn("op-lock redis connection error", { err }));
  const opLocks = createOpLocks(lockClients.length > 0 ? lockClients : [redis], { prefix: cfg.redisPrefix, log });
  const locks = new LockView(() => opLocks.lockedShardlets(), log);
  const sequences = new SequenceAllocator(redis, {
    prefix: cfg.redisPrefix,
    reserve: (streamId, atLeast, step) => reserveSequence(db, streamId, atLeast, step),
    ...(cfg.sequenceLeaseMs !== undefined ? { leaseMs: cfg.sequenceLeaseMs } : {}),
    onReseed: (streamId, base) => log.warn("sequence counter re-seeded from the control database", { streamId, base }),
    onLeaseLost: (streamId, lo, hi) =>
      log.error("a batch outlived its sequence lease: readers may have read past it before it committed", { streamId, lo, hi }),
    onRenewError: (err) => log.warn("could not renew sequence leases", { err }),
  });
  const auth = new ApiKeyAuth((token) => verifyApiKey(db, token), cfg.apiKeyCache);
  const quotas = new QuotaService({ redis, prefix: cfg.redisPrefix, log });
  const shadowWrites: Record<ShadowOutcome, number> = { written: 0, refused: 0, failed: 0 };
  const counters = new TelemetryCounters();
  const profilerSettings = new ProfilerSettingsCache(
    async () => (await getSettings(db))[PROFILER_SETTINGS_KEY],
    (err) => log.warn("could not read profiler settings; using the last known ones", { err }),
  );
  const profiler = new EdgeProfiler({ settings: profilerSettings.get });
  metrics.watchProfiler(profiler);
  void profilerSettings.refresh();
  const readCache = new EdgeReadCache(
    { maxBytes: cfg.readCache?.maxBytes ?? 64 * 1024 * 1024, prefetchBytesPerSec: cfg.readCache?.prefetchBytesPerSec ?? 8 * 1024 * 1024, flushMs: cfg.telemetryFlushMs ?? 5_000 },
    { redis, prefix: cfg.redisPrefix, routing, sequences, log },
  );
  metrics.watchReadCache(readCache);
  const prealloc =
    cfg.prealloc?.enabled === false
      ? null
      : new PreallocRunner({
          redis,
          prefix: cfg.redisPrefix,
          log,
          edgeId: preallocEdgeId(),
          publishMs: cfg.prealloc?.publishMs ?? 2_000,
          saveMs: 60_000,
          maxQueuedEvents: 200_000,
          // Re-read on the publish tick (as profiler settings are on a TTL): there is no announcement to miss.
          settings: () => getPreallocSettings(db),
        });
  const written = writeTelemetry(counters, profiler, (streamId, events) => readCache.written(streamId, events));
  const flusher = new TelemetryFlusher({ redis, prefix: cfg.redisPrefix, counters, profiler, log, everyMs: cfg.telemetryFlushMs ?? 5_000 });
  /** When this edge last announced an overflow-pending flag, by stream. */
  const flagAnnounced = new Map<string, number>();
  const ingest = new IngestService({
    routing,
    sequences,
    limits: cfg.limits,
    log,
    isLocked: (id) => locks.has(id),
    holds: locks,
    flagOverflowPending: async (streamId, written) => {
      const flagged = await markOverflowPending(db, streamId, written);
      // Edges reload the stream's routes only when told: once per newly flagged range, and again
      // (at most once a second) while this edge's own routes lack a flag, since the announcement
      // that set it may have been lost.
      const now = Date.now();
      if (flagged.length > 0 || (written.some((r) => !r.overflowPending) && now - (flagAnnounced.get(streamId) ?? 0) >= 1_000)) {
        flagAnnounced.set(streamId, now);
        await publishRoutingChange(redis, cfg.redisPrefix, streamId);
      }
    },
    observer: {
      written: (shardletId, _events, bytes) => watch.add(shardletId, bytes),
      fellBack: (shardletId, events, streamId) => {
        // Whether the content model predicted this shardlet's surge: fallbacks in a predicted surge
        // are what pre-allocation is there to avoid (the worker's contention records say which
        // pre-allocation, if any, caused or covered them).
        const predicted = streamId !== undefined ? prealloc?.predictionFor(streamId, shardletId) : undefined;
        metrics.fellBack(events, predicted ? "predicted" : "none");
        log.debug("contention: events sent to the overflow log", {
          shardletId,
          events,
          prediction: predicted ? { probability: Number(predicted.probability.toFixed(3)), cause: predicted.cause, horizonEndsMs: predicted.horizonEndsMs } : null,
        });
      },
      shadowed: (_shardletId, _hostId, events, outcome) => {
        shadowWrites[outcome] += events;
        metrics.shadowed(events, outcome);
      },
      ...written,
      acked: (streamId, events, outcomes, latencyMs, entry) => {
        written.acked(streamId, events, outcomes, latencyMs, entry);
        prealloc?.acked(streamId, events, outcomes);
      },
      ...metrics.ingestObserver(),
    },
    hosts: {
      fencedWriteBatch: async (hostId, w) => (await hosts.get(hostId)).fencedWriteBatch(w),
      appendOverflow: async (hostId, w) => (await hosts.get(hostId)).appendOverflow(w),
      storedEventIds: async (hostId, streamId, ids) => (await hosts.get(hostId)).storedEventIds(streamId, ids),
      shadowWriteBatch: async (hostId, w) => shadowWriteBatch(await hosts.get(hostId), w),
    },
  });
  const issued = new IssuedPositions((streamId) => getSequenceReserved(db, streamId));
  const reads = new ReadService({
    routing,
    sequences,
    hosts: {
      readByPosition: async (hostId, q) => (await hosts.get(hostId)).readByPosition(q),
      readByKey: async (hostId, q) => (await hosts.get(hostId)).readByKey(q),
      fence: async (hostId, shardletId) => (await hosts.get(hostId)).getFence(shardletId),
    },
    ...(readCache.enabled ? { positionCache: readCache.positionReads } : {}),
    issued,
    observer: { ...readTelemetry(counters, profiler), ...metrics.readObserver() },
    onSeqConflict: (streamId, seq, events) =>
      log.error("different events share one sequence number; all are returned", { streamId, seq, events: events.length }),
  });
  const replicaHints = new ReplicaHints(Date.now, undefined, cfg.replicaRouting ?? DEFAULT_REPLICA_ROUTING);
  const replicaServed = new ReplicaServedCounter(redis, cfg.redisPrefix, log);
  const consumers = createConsumerCoordinator({
    db,
    redis,
    prefix: cfg.redisPrefix,
    hosts,
    routing,
    sequences,
    counters,
    log,
    readCache,
    replicas: { hints: replicaHints, served: replicaServed },
    issued,
    maxGroupsPerStream: cfg.maxGroupsPerStream ?? DEFAULT_MAX_GROUPS_PER_STREAM,
    readAhead: cfg.readCache?.groupReadAhead ?? true,
  });
  const hints = new HintService({
    maxKeyLength: cfg.limits.maxKeyLength,
    maxActivePerStream: cfg.maxActiveHintsPerStream ?? DEFAULT_ACTIVE_HINTS_PER_STREAM,
    store: {
      streamId: async (name) => (await routing.get(name))?.meta.id ?? null,
      insert: (rows, cap) => insertLoadHints(db, rows, cap),
      listActive: (streamId, atMs) => listActiveHints(db, { streamId, atMs }),
    },
  });

  subscribeToEdgeChannels({ subscriber, prefix: cfg.redisPrefix, routing, auth, locks, replicaHints, readCache, log, patched: (outcome) => metrics.routePatched(outcome) });
  routing.startPeriodicRefresh(cfg.routingRefreshMs);
  locks.start(cfg.lockResyncMs);
  flusher.start();
  replicaServed.start(5_000);
  readCache.start();
  prealloc?.start();

  const health = async () => {
    await Promise.all([pingControlDb(db), redis.ping()]);
  };
  let draining = false;
  const server = createEdgeServer({
    auth,
    ingest,
    reads,
    hints,
    forecasts: forecastReader({ db, routing }),
    consumers,
    quotas,
    limits: cfg.limits,
    log,
    maxBodyBytes: cfg.limits.maxBodyBytes,
    health,
    ops: { registry: metrics.registry, ready: health, draining: () => draining, metricsToken: cfg.metricsToken, log },
  });
  metrics.watch(server);
  let closing: Promise<void> | null = null;

  return {
    server,
    routing,
    locks,
    shadowWrites,
    telemetry: { counters, flush: () => flusher.flush(), refreshProfilerSettings: () => profilerSettings.refresh() },
    metrics,
    prealloc,
    readCache,
    replicaServed,
    sequences,
    get draining() {
      return draining;
    },
    listen: (port, host) =>
      new Promise((resolve, reject) => {
        server.once("error", reject);
        server.listen(port, host, () => resolve((server.address() as AddressInfo).port));
      }),
    close: () =>
      (closing ??= (async () => {
        draining = true;
        await drainServer(server, cfg.shutdownGraceMs ?? 10_000, log);
        routing.stopPeriodicRefresh();
        locks.stop();
        await opLocks.close();
        subscriber.disconnect();
        // Every batch was answered (or cut at the deadline), so no block is left to renew.
        await sequences.stop();
        // After the server stopped answering: the last requests' counters go out with this flush.
        await flusher.stop();
        await replicaServed.stop();
        await readCache.stop();
        prealloc?.stop();
        await prealloc?.save();
        await Promise.all([redis, ...lockClients].map((c) => c.quit().catch(() => undefined)));
        await hosts.closeAll();
        await db.$disconnect();
      })()),
  };
}
