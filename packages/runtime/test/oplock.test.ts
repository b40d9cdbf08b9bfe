import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { isShardcastError, ShardcastError } from "@shardcast/core";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createOpLocks,
  MAX_OP_LOCK_HOLD_MS,
  opLockKey,
  opLocksChannel,
  parseOpLockMessage,
  parseRedisUrlList,
  type OpLockHandle,
  type OpLockMessage,
} from "../src/oplock.ts";
import { spawnRedis } from "../src/redis-resolve.ts";
import { testRedisUrl } from "../src/testing/env.ts";
import { waitFor } from "@shardcast/core/testing";

const REDIS_URL = testRedisUrl();
const prefix = `sc_test_${randomBytes(4).toString("hex")}`;

let client: Redis;
let subscriber: Redis;
const messages: OpLockMessage[] = [];

/** A promise plus its resolver, to hold a job open until the test says so. */
function gate(): { wait: Promise<void>; open: () => void } {
  let open = () => {};
  const wait = new Promise<void>((r) => (open = r));
  return { wait, open };
}

beforeAll(async () => {
  client = new Redis(REDIS_URL);
  subscriber = new Redis(REDIS_URL);
  subscriber.on("message", (_channel: string, raw: string) => {
    const msg = parseOpLockMessage(raw);
    if (msg) messages.push(msg);
  });
  await subscriber.subscribe(opLocksChannel(prefix));
});

afterAll(async () => {
  const keys = await client.keys(`${prefix}:*`);
  if (keys.length > 0) await client.del(...keys);
  subscriber.disconnect();
  client.disconnect();
});

describe("op-locks", () => {
  it("lets one of two contenders in; the other gets a conflict until release", async () => {
    const locks = createOpLocks([client], { prefix, ttlMs: 2_000 });
    const held = gate();
    const entered = gate();
    const first = locks.withOpLock("s-mutex", async () => {
      entered.open();
      await held.wait;
      return "first";
    });
    await entered.wait;
    expect(await locks.isLocked("s-mutex")).toBe(true);
    expect(await locks.lockedShardlets()).toContain("s-mutex");

    let secondRan = false;
    const err = await locks
      .withOpLock("s-mutex", () => {
        secondRan = true;
        return Promise.resolve("second");
      })
      .catch((e: unknown) => e);
    expect(secondRan).toBe(false);
    expect(isShardcastError(err) && err.code).toBe("conflict");

    held.open();
    expect(await first).toBe("first");
    expect(await locks.isLocked("s-mutex")).toBe(false);
    expect(await locks.withOpLock("s-mutex", () => Promise.resolve("second"))).toBe("second");
    await locks.close();
  });

  it("keeps extending the lock while a job runs past the TTL", async () => {
    // Extensions run every third of the TTL; a TTL long enough that a loaded machine's event-loop
    // stalls (hundreds of ms when every workspace's tests share two cores) do not outlast it.
    const ttlMs = 1500;
    const locks = createOpLocks([client], { prefix, ttlMs });
    const rival = createOpLocks([client], { prefix, ttlMs });
    const key = opLockKey(prefix, "s-long");
    const started = Date.now();
    await locks.withOpLock("s-long", async (lock) => {
      // Several TTLs pass; the key must stay ours the whole time and a rival must keep failing.
      while (Date.now() - started < ttlMs * 4) {
        lock.assertHeld();
        expect(await client.pttl(key)).toBeGreaterThan(0);
        const err = await rival.withOpLock("s-long", () => Promise.resolve()).catch((e: unknown) => e);
        expect(err).toBeInstanceOf(ShardcastError);
        await new Promise((r) => setTimeout(r, 50));
      }
      expect(lock.signal.aborted).toBe(false);
    });
    expect(Date.now() - started).toBeGreaterThanOrEqual(ttlMs * 4);
    expect(await client.exists(key)).toBe(0);
    await locks.close();
    await rival.close();
  });

  it("aborts the signal and fails assertHeld when the lock is lost", async () => {
    const locks = createOpLocks([client], { prefix, ttlMs: 600 });
    const key = opLockKey(prefix, "s-lost");
    let steps = 0;
    let seen: OpLockHandle | undefined;
    const err = await locks
      .withOpLock("s-lost", async (lock) => {
        seen = lock;
        lock.assertHeld();
        steps++;
        // Simulate a Redis restart that forgot the lock.
        await client.del(key);
        await new Promise<void>((resolve) => lock.signal.addEventListener("abort", () => resolve(), { once: true }));
        lock.assertHeld();
        steps++;
      })
      .catch((e: unknown) => e);
    expect(steps).toBe(1);
    expect(seen?.signal.aborted).toBe(true);
    expect(err).toBeInstanceOf(ShardcastError);
    expect((err as ShardcastError).code).toBe("conflict");
    expect((err as ShardcastError).message).toMatch(/lost/);
    await locks.close();
  });

  it("does not announce unlock when another holder took over a lost lock", async () => {
    const locks = createOpLocks([client], { prefix, ttlMs: 600 });
    const key = opLockKey(prefix, "s-taken");
    const err = await locks
      .withOpLock("s-taken", async (lock) => {
        await client.set(key, "someone-else", "PX", 5_000);
        await new Promise<void>((resolve) => lock.signal.addEventListener("abort", () => resolve(), { once: true }));
        lock.assertHeld();
      })
      .catch((e: unknown) => e);
    expect(isShardcastError(err) && err.code).toBe("conflict");
    expect(await client.get(key)).toBe("someone-else");
    expect(messages.filter((m) => m.shardletId === "s-taken")).toEqual([{ shardletId: "s-taken", locked: true }]);
    await locks.close();
  });

  it("publishes lock and unlock on the op-locks channel", async () => {
    const locks = createOpLocks([client], { prefix, ttlMs: 1_000 });
    await locks.withOpLock("s-pub", async () => {
      await waitFor("lock message", () => messages.some((m) => m.shardletId === "s-pub" && m.locked));
    });
    await waitFor("unlock message", () => messages.some((m) => m.shardletId === "s-pub" && !m.locked));
    expect(messages.filter((m) => m.shardletId === "s-pub")).toEqual([
      { shardletId: "s-pub", locked: true },
      { shardletId: "s-pub", locked: false },
    ]);
    await locks.close();
  });

  it("announces the hold a job asks edges for with its lock, never with the release", async () => {
    const locks = createOpLocks([client], { prefix, ttlMs: 1_000 });
    await locks.withOpLock("s-hold", () => Promise.resolve(), { holdMs: 250 });
    await locks.withOpLock("s-hold", () => Promise.resolve(), { holdMs: 60_000 });
    await waitFor("both unlock messages", () => messages.filter((m) => m.shardletId === "s-hold" && !m.locked).length === 2);
    expect(messages.filter((m) => m.shardletId === "s-hold")).toEqual([
      { shardletId: "s-hold", locked: true, holdMs: 250 },
      { shardletId: "s-hold", locked: false },
      // Capped: a job that needs longer should not ask edges to wait for it.
      { shardletId: "s-hold", locked: true, holdMs: MAX_OP_LOCK_HOLD_MS },
      { shardletId: "s-hold", locked: false },
    ]);
    await locks.close();
  });

  it("releases and announces unlock when the job throws", async () => {
    const locks = createOpLocks([client], { prefix, ttlMs: 1_000 });
    await expect(locks.withOpLock("s-throw", () => Promise.reject(new Error("boom")))).rejects.toThrow("boom");
    expect(await locks.isLocked("s-throw")).toBe(false);
    await waitFor("unlock message", () => messages.some((m) => m.shardletId === "s-throw" && !m.locked));
    await locks.close();
  });

  it("needs a quorum when several masters are given", async () => {
    // Three private servers stand in for independent masters (Redlock runs its scripts in one
    // database number on all of them, so databases of one server cannot play the part).
    const dir = await mkdtemp(path.join(tmpdir(), "shardcast-oplock-"));
    const servers = await Promise.all([1, 2, 3].map((i) => spawnRedis({ dir: path.join(dir, String(i)) })));
    const masters = servers.map((s) => new Redis(s.url));
    try {
      const locks = createOpLocks(masters, { prefix, ttlMs: 1_000, publisher: client });
      const key = opLockKey(prefix, "s-quorum");
      // A rival holding the key on two of three masters has the quorum.
      await masters[0]!.set(key, "rival", "PX", 5_000);
      await masters[1]!.set(key, "rival", "PX", 5_000);
      expect(await locks.isLocked("s-quorum")).toBe(true);
      const err = await locks.withOpLock("s-quorum", () => Promise.resolve()).catch((e: unknown) => e);
      expect(isShardcastError(err) && err.code).toBe("conflict");
      // With only one master taken, a majority is free and the lock is granted.
      await masters[1]!.del(key);
      expect(await locks.isLocked("s-quorum")).toBe(false);
      const inside = await locks.withOpLock("s-quorum", async () => {
        const held = await Promise.all(masters.map((m) => m.get(key)));
        return held.filter((v) => v !== null && v !== "rival").length;
      });
      expect(inside).toBe(2);
      await locks.close();
    } finally {
      for (const m of masters) m.disconnect();
      await Promise.all(servers.map((s) => s.stop()));
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("locks in the database the clients use, and refuses masters on different ones", async () => {
    const inDb2 = new Redis(REDIS_URL, { db: 2 });
    const inDb3 = new Redis(REDIS_URL, { db: 3 });
    try {
      const locks = createOpLocks([inDb2], { prefix, ttlMs: 1_000, publisher: client });
      const key = opLockKey(prefix, "s-db");
      const seen = await locks.withOpLock("s-db", async () => ({
        db2: await inDb2.exists(key),
        db0: await client.exists(key),
        locked: await locks.isLocked("s-db"),
        listed: await locks.lockedShardlets(),
      }));
      expect(seen).toEqual({ db2: 1, db0: 0, locked: true, listed: ["s-db"] });
      expect(await inDb2.exists(key)).toBe(0);
      await locks.close();
      expect(() => createOpLocks([inDb2, inDb3], { prefix })).toThrow(ShardcastError);
    } finally {
      inDb2.disconnect();
      inDb3.disconnect();
    }
  });

  it("parses the comma-separated master list and lock messages", () => {
    expect(parseRedisUrlList(" redis://a:1, redis://b:2 ,")).toEqual(["redis://a:1", "redis://b:2"]);
    expect(() => parseRedisUrlList(" , ")).toThrow(ShardcastError);
    expect(parseOpLockMessage('{"shardletId":"x","locked":true}')).toEqual({ shardletId: "x", locked: true });
    expect(parseOpLockMessage('{"shardletId":1,"locked":true}')).toBeNull();
    expect(parseOpLockMessage("not json")).toBeNull();
    expect(parseOpLockMessage('{"shardletId":"x","locked":true,"holdMs":200}')).toEqual({ shardletId: "x", locked: true, holdMs: 200 });
    // A bad hold is dropped, the lock kept; a release holds nothing.
    expect(parseOpLockMessage('{"shardletId":"x","locked":true,"holdMs":"soon"}')).toEqual({ shardletId: "x", locked: true });
    expect(parseOpLockMessage('{"shardletId":"x","locked":true,"holdMs":-5}')).toEqual({ shardletId: "x", locked: true });
    expect(parseOpLockMessage('{"shardletId":"x","locked":true,"holdMs":1e9}')).toEqual({ shardletId: "x", locked: true, holdMs: MAX_OP_LOCK_HOLD_MS });
    expect(parseOpLockMessage('{"shardletId":"x","locked":false,"holdMs":200}')).toEqual({ shardletId: "x", locked: false });
  });
});
