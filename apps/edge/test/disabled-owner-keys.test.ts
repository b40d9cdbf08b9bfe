import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { waitFor } from "@shardcast/core/testing";
import { createApiKey, createUser, setUserDisabled, type User } from "@shardcast/db";
import type * as Db from "@shardcast/db";
import { apiKeyChannel, createRedis } from "@shardcast/runtime";
import { testRedisUrl } from "@shardcast/runtime/testing/env";
import { startHarness, type Harness } from "./harness.ts";
import { lookups } from "./key-lookups.ts";

// Counts the control-database key lookups per token.
vi.mock("@shardcast/db", async (importOriginal) => (await import("./key-lookups.ts")).countingKeyLookups(await importOriginal<typeof Db>()));

// A short key lifetime, so the test sees a creator's disabling noticed without any announcement;
// refusals are remembered far past the test, so only an announcement can lift one.
const TTL_MS = 1_000;
let h: Harness;
let actor: User;
let owner: User;
beforeAll(async () => {
  h = await startHarness({
    stream: "owned",
    edge: { apiKeyCache: { ttlMs: TTL_MS, maxEntries: 1_000, negativeTtlMs: 600_000, maxNegativeEntries: 1_000 } },
  });
  const user = (name: string) => createUser(h.db, { email: `${name}-${randomBytes(4).toString("hex")}@example.com`, name, password: "pw", role: "admin" });
  actor = await user("actor");
  owner = await user("owner");
});
afterAll(() => h?.close());

type ErrorBody = { error: { code: string; message: string } };
async function read(token: string): Promise<{ status: number; body: unknown }> {
  const res = await fetch(`${h.url}/v1/streams/owned/events?limit=1`, { headers: { authorization: `Bearer ${token}` } });
  return { status: res.status, body: await res.json() };
}
const newKey = (name: string, createdById: string) => createApiKey(h.db, { name, streams: ["owned"], canProduce: true, canConsume: true, createdById });

describe("API keys of a disabled console user", () => {
  let owned: Awaited<ReturnType<typeof newKey>>;
  it("are refused with 403 within the key cache's lifetime, with no lookup per refused request", async () => {
    owned = await newKey("owned-by-owner", owner.id);
    const other = await newKey("owned-by-actor", actor.id);
    expect((await read(owned.token)).status).toBe(200);
    expect((await read(other.token)).status).toBe(200);

    await setUserDisabled(h.db, actor.id, owner.id, true);
    const refused = await waitFor("the disabled user's key to be refused", async () => {
      const res = await read(owned.token);
      return res.status === 403 ? res : null;
    }, TTL_MS * 10);
    const { error } = refused.body as ErrorBody;
    expect(error.code).toBe("forbidden");
    expect(error.message).toMatch(/owned-by-owner.*disabled/);

    // The refusal is remembered like an unknown token: a client retrying costs no lookups.
    const before = lookups.get(owned.token);
    expect(before).toBeGreaterThan(0);
    for (let i = 0; i < 20; i++) expect((await read(owned.token)).status).toBe(403);
    expect(lookups.get(owned.token)).toBe(before);

    // Keys of active users and system keys are untouched.
    expect((await read(other.token)).status).toBe(200);
    expect((await read(h.token)).status).toBe(200);
  });

  it("work again at once when the user is enabled and the key is announced", async () => {
    expect((await read(owned.token)).status).toBe(403);
    await setUserDisabled(h.db, actor.id, owner.id, false);
    const redis = createRedis(testRedisUrl());
    try {
      await redis.publish(apiKeyChannel(h.prefix), JSON.stringify({ prefix: owned.prefix }));
    } finally {
      await redis.quit();
    }
    await waitFor("the enabled user's key to work", async () => (await read(owned.token)).status === 200);
  });
});
