import type http from "node:http";
import type { IngestLimits } from "@shardcast/core";
import type { Logger, RedisSentinelConfig, SequenceAllocator } from "@shardcast/runtime";
import type { ApiKeyCacheOptions } from "./auth.ts";
import type { EdgeReadCache } from "./cache/read-cache.ts";
import type { ReplicaRouting } from "./consumers/replica-routing.ts";
import type { ReplicaServedCounter } from "./consumers/replica-served.ts";
import type { ShadowOutcome } from "./ingest-observer.ts";
import type { LockView } from "./lock-view.ts";
import type { PreallocRunner } from "./prealloc/runner.ts";
import type { RoutingCache } from "./routing-cache.ts";
import type { TelemetryCounters } from "./telemetry/counters.ts";
import type { FlushResult } from "./telemetry/flusher.ts";
import type { EdgeMetrics } from "./telemetry/metrics.ts";

export interface EdgeConfig {
  databaseUrl: string;
  redisUrl: string;
  /** When set, the Sentinels name the master and `redisUrl` only gives credentials and TLS. */
  redisSentinel?: RedisSentinelConfig | undefined;
  redisPrefix: string;
  /** Comma-separated Redis masters the workers lock on (`SHARDCAST_LOCK_REDIS_URLS`, must match theirs); unset: the main Redis. */
  lockRedisUrls?: string | undefined;
  limits: IngestLimits;
  routingRefreshMs: number;
  /** Full re-read of the op-lock view (the safety net for lost messages and expired locks). */
  lockResyncMs: number;
  hostPoolSize: number;
  /** How often telemetry counters are flushed to Redis (default 5 s). */
  telemetryFlushMs?: number;
  /** How long readers wait for a sequence block of a dead edge (default 5 s). */
  sequenceLeaseMs?: number;
  /** The verified-key and unknown-token caches (default: 30 s, 10,000 entries each). */
  apiKeyCache?: ApiKeyCacheOptions;
  /** How long `close()` lets requests in flight finish before it cuts their connections (default 10 s). */
  shutdownGraceMs?: number;
  /** When set, `/metrics` needs `Authorization: Bearer <token>`. */
  metricsToken?: string | undefined;
  /** Shard cache and prefetch (default: 64 MiB, 8 MiB/s of prefetch; `maxBytes: 0` turns them off). */
  readCache?: { maxBytes: number; prefetchBytesPerSec: number; groupReadAhead?: boolean };
  /** Most hints of one stream not yet ended at once (default 2,000). */
  maxActiveHintsPerStream?: number;
  /** Most consumer groups of one stream: a join that would create one more is refused (default 100). */
  maxGroupsPerStream?: number;
  /** How consumers' range reads choose between a shardlet's host and its read replicas (default: by latency). */
  replicaRouting?: ReplicaRouting;
  /** The content model of pre-allocation (default: on, publishing every 2 s). */
  prealloc?: { enabled: boolean; publishMs?: number };
  log: Logger;
}

export interface Edge {
  server: http.Server;
  routing: RoutingCache;
  locks: LockView;
  /** Shadow writes to migration destinations since start, in events, by outcome. */
  shadowWrites: Record<ShadowOutcome, number>;
  telemetry: {
    counters: TelemetryCounters;
    flush(): Promise<FlushResult>;
    /** Reads the profiler settings now (they are otherwise re-read every few seconds). */
    refreshProfilerSettings(): Promise<void>;
  };
  metrics: EdgeMetrics;
  /** The content model beside the write path (null when turned off). */
  prealloc: PreallocRunner | null;
  /** The shard cache, its counters and the prefetcher. */
  readCache: EdgeReadCache;
  /** The events read replicas served on this edge, flushed to Redis every few seconds. */
  replicaServed: ReplicaServedCounter;
  /** Sequence blocks and watermarks of the streams this edge writes and reads. */
  sequences: SequenceAllocator;
  /** True once `close()` began: `/readyz` answers 503 from then on. */
  readonly draining: boolean;
  listen(port: number, host: string): Promise<number>;
  /**
   * Graceful stop: readiness fails at once, the listener stops taking connections, requests in
   * flight get until the grace deadline, then the remaining connections are cut and the
   * telemetry, sequence blocks and connections are released.
   */
  close(): Promise<void>;
}
