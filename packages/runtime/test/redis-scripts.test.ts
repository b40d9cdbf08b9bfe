import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Redis } from "ioredis";
import { createRedis } from "../src/redis.ts";
import { runScript } from "../src/redis-scripts.ts";
import { ownRedis, type OwnRedis } from "../src/testing/own-redis.ts";

const ADD = "return redis.call('INCRBY', KEYS[1], ARGV[1])";

/** A Redis server of its own: the test flushes its script cache, which other tests must not see. */
describe("runScript", () => {
  let server: OwnRedis;
  let redis: Redis;
  let spy: Redis;
  beforeAll(async () => {
    server = await ownRedis("scripts");
    redis = createRedis(server.url);
    spy = createRedis(server.url);
  });
  afterAll(async () => {
    await Promise.all([redis?.quit(), spy?.quit()]);
    await server?.close();
  });

  it("sends the script's text once per connection, then its SHA, and again after the server lost it", async () => {
    expect(await runScript(redis, "testAdd", ADD, 1, "n", 2)).toBe(2);
    const sha = await spy.script("LOAD", ADD);
    await spy.config("RESETSTAT");
    expect(await runScript(redis, "testAdd", ADD, 1, "n", 3)).toBe(5);
    expect(await runScript(redis, "testAdd", ADD, 1, "n", 4)).toBe(9);
    const stats = await spy.info("commandstats");
    // Both by SHA: nothing sent the text again.
    expect(stats).toMatch(/cmdstat_evalsha:calls=2,/);
    expect(stats).not.toMatch(/cmdstat_eval:calls/);
    expect(sha).toMatch(/^[0-9a-f]{40}$/);

    // A restart or a flush empties the server's script cache: the next call still runs, once.
    await spy.script("FLUSH");
    expect(await runScript(redis, "testAdd", ADD, 1, "n", 1)).toBe(10);
    expect(await spy.get("n")).toBe("10");
  });
});
