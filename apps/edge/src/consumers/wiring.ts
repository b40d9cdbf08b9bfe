import { CONSUMER_SETTINGS_KEY, parseConsumerSettings, type ConsumerSettings } from "@shardcast/core";
import { getSettings, type ControlDb } from "@shardcast/db";
import { readReplicaRanges, type HostPool } from "@shardcast/db/host";
import { ConsumerProgress, type Logger, type SequenceAllocator } from "@shardcast/runtime";
import type { Redis } from "ioredis";
import type { RoutingCache } from "../routing-cache.ts";
import type { TelemetryCounters } from "../telemetry/counters.ts";
import { readTelemetry } from "../telemetry/observe.ts";
import type { EdgeReadCache } from "../cache/read-cache.ts";
import type { ReadObserver } from "../reads.ts";
import { ConsumerCoordinator } from "./coordinator.ts";
import { RangeReader } from "./range-reader.ts";
import type { IssuedPositions } from "../issued-positions.ts";
import type { ReplicaHints } from "./replica-routing.ts";
import type { ReplicaServedCounter } from "./replica-served.ts";

/** Groups a stream may have unless configured: the checkpoint job walks every group on every run. */
export const DEFAULT_MAX_GROUPS_PER_STREAM = 100;

/** Consumer settings change rarely; a poll must not read them from the database every time. */
const SETTINGS_TTL_MS = 5_000;

/** The edge's consumer-group side, wired from the pieces the edge already has. */
export function createConsumerCoordinator(d: {
  db: ControlDb;
  redis: Redis;
  prefix: string;
  hosts: HostPool;
  routing: RoutingCache;
  sequences: SequenceAllocator;
  counters: TelemetryCounters;
  log: Logger;
  /** The shard cache and correlation counts; absent: reads go straight to the hosts. */
  readCache?: EdgeReadCache;
  /** Read replicas: where they are verified to, and what they served. Absent: no replica is read. */
  replicas?: { hints: ReplicaHints; served: ReplicaServedCounter };
  issued?: IssuedPositions;
  /** Most consumer groups per stream (absent: no limit). */
  maxGroupsPerStream?: number;
  /** Read a member's next page into the cache while it works on one (default: on; nothing without the cache). */
  readAhead?: boolean;
}): ConsumerCoordinator {
  // Consumer reads count as reads of their shardlets, so read rates and forecasts include them.
  const telemetry = readTelemetry(d.counters);
  const cacheObserver = d.readCache?.readObserver();
  const observer: ReadObserver = cacheObserver
    ? {
        read: (entry, events, reader, latencyMs) => {
          telemetry.read(entry, events, reader, latencyMs);
          cacheObserver.read(entry, events, reader, latencyMs);
        },
      }
    : telemetry;
  const hostReader = new RangeReader({
    routing: d.routing,
    sequences: d.sequences,
    hosts: {
      readRanges: async (hostId, q) => (await d.hosts.get(hostId)).readRanges(q),
      readReplica: async (hostId, q) => readReplicaRanges(await d.hosts.get(hostId), q),
    },
    observer,
    ...(d.replicas
      ? { replicas: d.replicas.hints, onReplicaRead: (_streamId: string, replicaId: string, events: readonly unknown[]) => d.replicas!.served.add(replicaId, events.length) }
      : {}),
    onSeqConflict: (streamId, seq, events) => d.log.error("different events share one sequence number; all are returned", { streamId, seq, events: events.length }),
  });
  const reader = d.readCache ? d.readCache.wrap(hostReader, observer) : hostReader;
  let cached: { value: ConsumerSettings; at: number } | null = null;
  const settings = async (): Promise<ConsumerSettings> => {
    if (cached && Date.now() - cached.at < SETTINGS_TTL_MS) return cached.value;
    try {
      cached = { value: parseConsumerSettings((await getSettings(d.db))[CONSUMER_SETTINGS_KEY]), at: Date.now() };
    } catch (err) {
      d.log.warn("could not read consumer settings; using the last known ones or the defaults", { err });
      cached = { value: cached?.value ?? parseConsumerSettings(undefined), at: Date.now() };
    }
    return cached.value;
  };
  return new ConsumerCoordinator({
    db: d.db,
    routing: d.routing,
    sequences: d.sequences,
    progress: new ConsumerProgress(d.redis, d.prefix),
    reader,
    settings,
    log: d.log,
    ...(d.issued ? { issued: d.issued } : {}),
    ...(d.maxGroupsPerStream !== undefined ? { maxGroupsPerStream: d.maxGroupsPerStream } : {}),
    readAhead: d.readAhead ?? true,
  });
}
