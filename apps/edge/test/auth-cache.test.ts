import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { createApiKey, revokeApiKey } from "@shardcast/db";
import type * as Db from "@shardcast/db";
import { waitFor } from "@shardcast/db/testing";
import { apiKeyChannel, createRedis } from "@shardcast/runtime";
import { testRedisUrl } from "@shardcast/runtime/testing/env";
import { startHarness, type Harness } from "./harness.ts";
import { lookups } from "./key-lookups.ts";

// Counts the control-database key lookups per token.
vi.mock("@shardcast/db", async (importOriginal) => (await import("./key-lookups.ts")).countingKeyLookups(await importOriginal<typeof Db>()));

let h: Harness;
beforeAll(async () => {
  // TTLs far longer than the test: it checks that a spray cannot evict the valid key, and on a
  // loaded machine the spray alone can outlast the default 30 s TTL (a second lookup by expiry).
  h = await startHarness({
    stream: "cached",
    edge: { apiKeyCache: { ttlMs: 600_000, maxEntries: 10_000, negativeTtlMs: 600_000, maxNegativeEntries: 10_000 } },
  });
});
afterAll(() => h?.close());

const readPath = "/v1/streams/cached/events?limit=1";
async function status(token: string): Promise<number> {
  const res = await fetch(h.url + readPath, { headers: { authorization: `Bearer ${token}` } });
  await res.arrayBuffer();
  return res.status;
}
const randomToken = () => `sc_${randomBytes(5).toString("hex")}_${randomBytes(24).toString("base64url")}`;
const totalLookups = () => [...lookups.values()].reduce((a, b) => a + b, 0);

describe("the edge's API-key cache", () => {
  it("keeps serving valid keys from memory through a spray of 10,000 random tokens", async () => {
    expect(await status(h.token)).toBe(200);
    expect(lookups.get(h.token)).toBe(1);
    const spray = Array.from({ length: 10_000 }, randomToken);
    const validAnswers: number[] = [];
    for (let i = 0; i < spray.length; i += 250) {
      const answers = await Promise.all(spray.slice(i, i + 250).map(status));
      expect(answers.every((s) => s === 401)).toBe(true);
      validAnswers.push(await status(h.token));
    }
    expect(validAnswers.every((s) => s === 200)).toBe(true);
    // Warm-up was the valid key's only lookup; each random token was looked up once.
    expect(lookups.get(h.token)).toBe(1);
    expect(spray.every((t) => lookups.get(t) === 1)).toBe(true);
    // Unknown tokens are remembered: sending the last ones again costs no lookup.
    const before = totalLookups();
    expect((await Promise.all(spray.slice(-500).map(status))).every((s) => s === 401)).toBe(true);
    expect(totalLookups()).toBe(before);
  }, 180_000);

  it("refuses a token longer than any key without looking it up or remembering it", async () => {
    const huge = `sc_${randomBytes(5).toString("hex")}_${"x".repeat(8 * 1024)}`;
    expect(await status(huge)).toBe(401);
    expect(await status(huge)).toBe(401);
    expect(lookups.get(huge)).toBeUndefined();
  });

  it("looks a new key up once for a burst of 100 concurrent requests", async () => {
    const key = await createApiKey(h.db, { name: "burst", streams: ["cached"], canProduce: false, canConsume: true, createdById: null });
    const answers = await Promise.all(Array.from({ length: 100 }, () => status(key.token)));
    expect(answers.every((s) => s === 200)).toBe(true);
    expect(lookups.get(key.token)).toBe(1);
  });

  it("drops a revoked key at once on the revocation message", async () => {
    const key = await createApiKey(h.db, { name: "revoked", streams: ["cached"], canProduce: false, canConsume: true, createdById: null });
    expect(await status(key.token)).toBe(200);
    await revokeApiKey(h.db, key.id);
    // Still cached until the message comes.
    expect(await status(key.token)).toBe(200);
    const redis = createRedis(testRedisUrl());
    try {
      await redis.publish(apiKeyChannel(h.prefix), JSON.stringify({ prefix: key.prefix }));
    } finally {
      await redis.quit();
    }
    await waitFor("the revoked key to be refused", async () => (await status(key.token)) === 401);
    expect(lookups.get(key.token)).toBe(2);
  });
});
