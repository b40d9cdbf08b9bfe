import { randomBytes } from "node:crypto";
import type { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { waitFor } from "@shardcast/core/testing";
import { createApiKey, revokeApiKey } from "@shardcast/db";
import { apiKeyChannel, createRedis } from "@shardcast/runtime";
import { testRedisUrl } from "@shardcast/runtime/testing/env";
import { startHarness, type Harness } from "./harness.ts";

/**
 * The edge connects to Redis as a user of its own, so the test can find the edge's subscriber
 * connection, drop it, and keep it from coming back (the user is turned off) until the
 * revocation message has gone out unheard.
 */
const user = `sc_test_edge_${randomBytes(4).toString("hex")}`;
const password = randomBytes(12).toString("hex");
let admin: Redis;
let h: Harness;
beforeAll(async () => {
  admin = createRedis(testRedisUrl());
  await admin.call("ACL", "SETUSER", user, "on", `>${password}`, "~*", "&*", "+@all");
  const url = new URL(testRedisUrl());
  url.username = user;
  url.password = password;
  // A TTL far past the test: only an eviction can make the edge look the key up again.
  h = await startHarness({
    stream: "keys-offline",
    redisUrl: url.toString(),
    edge: { apiKeyCache: { ttlMs: 600_000, maxEntries: 1_000, negativeTtlMs: 600_000, maxNegativeEntries: 1_000 } },
  });
});
afterAll(async () => {
  await admin.call("ACL", "SETUSER", user, "on");
  await h?.close();
  await admin.call("ACL", "DELUSER", user);
  await admin.quit();
});

async function status(token: string): Promise<number> {
  const res = await fetch(`${h.url}/v1/streams/keys-offline/events?limit=1`, { headers: { authorization: `Bearer ${token}` } });
  await res.arrayBuffer();
  return res.status;
}

/** Ids of the edge's subscribed connections (Redis lists a connection as pubsub once it has subscribed). */
async function subscriberIds(): Promise<string[]> {
  const list = (await admin.call("CLIENT", "LIST", "TYPE", "pubsub")) as string;
  return list
    .split("\n")
    .filter((line) => line.includes(` user=${user} `))
    .map((line) => /^id=(\d+) /.exec(line)?.[1] ?? "")
    .filter((id) => id !== "");
}

describe("the API-key cache across a pub/sub reconnect", () => {
  it("refuses a key revoked while the edge's subscriber was disconnected right after it reconnects", async () => {
    const [before] = await waitFor("the edge's subscriber", async () => {
      const ids = await subscriberIds();
      return ids.length === 1 ? ids : null;
    });
    const key = await createApiKey(h.db, { name: "revoked-offline", streams: ["keys-offline"], canProduce: false, canConsume: true, createdById: null });
    expect(await status(key.token)).toBe(200);

    // Connections already made stay; a new one is refused until the user is on again.
    await admin.call("ACL", "SETUSER", user, "off");
    await admin.call("CLIENT", "KILL", "ID", before!);
    await revokeApiKey(h.db, key.id);
    await admin.publish(apiKeyChannel(h.prefix), JSON.stringify({ prefix: key.prefix }));
    // Nobody heard the revocation: the edge still serves the key from its cache.
    expect(await status(key.token)).toBe(200);

    await admin.call("ACL", "SETUSER", user, "on");
    await waitFor("the edge's subscriber to reconnect and subscribe again", async () => {
      const ids = await subscriberIds();
      return ids.length === 1 && ids[0] !== before;
    });
    expect(await status(key.token)).toBe(401);
  });
});
