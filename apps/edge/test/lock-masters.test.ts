import { randomUUID } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { DEFAULT_INGEST_LIMITS } from "@shardcast/core";
import { createTestControlDb, waitFor } from "@shardcast/db/testing";
import { createLogger, createOpLocks, opLockKey, spawnRedis, type SpawnedRedis } from "@shardcast/runtime";
import { testRedisUrl } from "@shardcast/runtime/testing/env";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createEdge, type Edge } from "../src/app.ts";

/**
 * With `SHARDCAST_LOCK_REDIS_URLS` set the workers take the op-locks on those masters and announce
 * them on the main Redis. The edge's periodic re-read must look on the masters too: reading the
 * main Redis, it found no lock and forgot every one it had been told of.
 */
const REDIS_URL = testRedisUrl();

/** The test Redis under another database number: a lock master apart from the main Redis. */
function inDatabase(url: string, db: number): string {
  const u = new URL(url);
  u.pathname = `/${db}`;
  return u.toString();
}

let control: Awaited<ReturnType<typeof createTestControlDb>>;
let main: Redis;
const edges: Edge[] = [];
const prefix = `edge-test-${randomUUID()}`;

function startEdge(lockRedisUrls: string): Edge {
  const edge = createEdge({
    databaseUrl: control.url,
    redisUrl: REDIS_URL,
    redisPrefix: prefix,
    limits: DEFAULT_INGEST_LIMITS,
    routingRefreshMs: 60_000,
    // Resyncs are run by the test, to order them against the locks.
    lockResyncMs: 3_600_000,
    hostPoolSize: 2,
    prealloc: { enabled: false },
    readCache: { maxBytes: 0, prefetchBytesPerSec: 1 },
    log: createLogger({ test: "lock-masters" }, { level: "error" }),
    lockRedisUrls,
  });
  edges.push(edge);
  return edge;
}

beforeAll(async () => {
  control = await createTestControlDb();
  main = new Redis(REDIS_URL);
});

afterAll(async () => {
  for (const edge of edges) await edge.close();
  main?.disconnect();
  await control?.drop();
});

describe("the edge's op-lock view with separate lock masters", () => {
  it("keeps a lock through a resync when the lock lives on a master other than the main Redis", async () => {
    const lockUrl = inDatabase(REDIS_URL, 3);
    const master = new Redis(lockUrl);
    const edge = startEdge(lockUrl);
    try {
      // What the worker does: lock on the masters, announce on the main Redis.
      const locks = createOpLocks([master], { prefix, ttlMs: 5_000, publisher: main });
      const afterResync = await locks.withOpLock("s-held", async () => {
        await waitFor("the edge to hear of the lock", () => edge.locks.has("s-held"));
        await edge.locks.resync();
        return edge.locks.has("s-held");
      });
      expect(afterResync).toBe(true);
      await locks.close();
      await waitFor("the edge to hear of the unlock", () => !edge.locks.has("s-held"));

      // A lock the edge was never told of (taken while its subscription was down) is found too.
      await master.set(opLockKey(prefix, "s-unannounced"), "job", "PX", 60_000);
      await edge.locks.resync();
      expect(edge.locks.has("s-unannounced")).toBe(true);
    } finally {
      await master.del(opLockKey(prefix, "s-unannounced"));
      master.disconnect();
    }
  });

  describe("with three masters", () => {
    let dir: string;
    let servers: SpawnedRedis[] = [];
    let masters: Redis[] = [];
    beforeAll(async () => {
      // Redlock runs its scripts in one database number on every master, so databases of one
      // server cannot stand in for several masters: three servers of the test's own do.
      dir = await mkdtemp(path.join(os.tmpdir(), "sc-edge-lock-masters-"));
      servers = await Promise.all([1, 2, 3].map((i) => spawnRedis({ dir: path.join(dir, String(i)) })));
      masters = servers.map((s) => new Redis(s.url));
      // The test stops two of them; their reconnect errors are expected.
      for (const m of masters) m.on("error", () => undefined);
    });
    afterAll(async () => {
      for (const m of masters) m.disconnect();
      await Promise.all(servers.map((s) => s.stop()));
      if (dir) await rm(dir, { recursive: true, force: true });
    });

    it("sees a lock a quorum holds even when the first master missed it, and keeps its view while no quorum answers", async () => {
      const edge = startEdge(servers.map((s) => s.url).join(","));
      const key = opLockKey(prefix, "s-quorum");
      // Taken while the first master was unreachable: the other two hold it, which is a quorum.
      await masters[1]!.set(key, "job", "PX", 60_000);
      await masters[2]!.set(key, "job", "PX", 60_000);
      await edge.locks.resync();
      expect(edge.locks.has("s-quorum")).toBe(true);

      // Two masters down: the one left cannot tell whether the lock still holds, so the view stays.
      await masters[1]!.del(key);
      await Promise.all([servers[1]!.stop(), servers[2]!.stop()]);
      await edge.locks.resync();
      expect(edge.locks.has("s-quorum")).toBe(true);
    });
  });
});
