import { randomBytes } from "node:crypto";
import type { ControlDb } from "@shardcast/db";
import { createTestCluster, type TestCluster } from "@shardcast/db/testing";
import { createLogger } from "@shardcast/runtime/logger";
import { testRedisUrl } from "@shardcast/runtime/testing/env";
import { Redis } from "ioredis";
import { afterAll, beforeAll } from "vitest";
import type { WorkerDeps } from "../src/deps.ts";

export const REDIS_URL = testRedisUrl();

/** What the telemetry rollup tests share: a cluster, Redis under a prefix of the file's own, and the worker's dependencies. */
export interface TelemetryCluster {
  /** Two hosts and a stream "tele" of four shards of two shardlets. */
  cluster: TestCluster;
  db: ControlDb;
  redis: Redis;
  prefix: string;
  deps: WorkerDeps;
}

/**
 * For a test file: starts the cluster before its tests and hands it to `ready`; after them (and after
 * the file's own `afterAll`, which runs first) deletes the prefix's Redis keys and drops the databases.
 */
export function useTelemetryCluster(ready: (t: TelemetryCluster) => void): void {
  const prefix = `sc_tm_${randomBytes(4).toString("hex")}`;
  let cluster: TestCluster | undefined;
  let redis: Redis | undefined;
  beforeAll(async () => {
    cluster = await createTestCluster({ hosts: 2, stream: "tele", shardCount: 4, shardletsPerShard: 2 });
    redis = new Redis(REDIS_URL);
    const deps: WorkerDeps = { db: cluster.db, hosts: cluster.hosts, log: createLogger({ test: "telemetry" }, { level: "error" }), clock: Date.now };
    ready({ cluster, db: cluster.db, redis, prefix, deps });
  });
  afterAll(async () => {
    if (redis) {
      const keys = [...(await redis.keys(`${prefix}:*`)), ...(await redis.keys(`{${prefix}}:*`))];
      if (keys.length > 0) await redis.del(...keys);
      await redis.quit();
    }
    await cluster?.drop();
  });
}
