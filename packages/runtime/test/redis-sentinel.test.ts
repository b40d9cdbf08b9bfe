import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { checkRedisSentinelEnv, createRedis, parseSentinelList, redisSentinelEnvShape, redisTargetFromEnv } from "../src/redis.ts";
import { freePort, spawnRedis, type SpawnedRedis } from "../src/redis-resolve.ts";

const MASTER_NAME = "shardcast-test";
const SENTINEL_PASSWORD = "sentinel-secret";

/**
 * Starts `redis-server --sentinel` monitoring `master` and resolves once it announces that it
 * monitors it (the `+monitor` line), so the test waits on the Sentinel itself, not on a timer.
 */
async function spawnSentinel(dir: string, master: SpawnedRedis): Promise<{ port: number; stop: () => Promise<void> }> {
  const port = await freePort();
  const conf = path.join(dir, "sentinel.conf");
  // Sentinel rewrites its configuration file, so it gets one of its own.
  await writeFile(
    conf,
    [
      `port ${port}`,
      "bind 127.0.0.1",
      `dir ${dir}`,
      `requirepass ${SENTINEL_PASSWORD}`,
      `sentinel monitor ${MASTER_NAME} 127.0.0.1 ${master.port} 1`,
      `sentinel down-after-milliseconds ${MASTER_NAME} 5000`,
      "",
    ].join("\n"),
  );
  const child: ChildProcess = spawn("redis-server", [conf, "--sentinel"], { stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  await new Promise<void>((resolve, reject) => {
    child.once("error", reject);
    child.once("exit", (code) => reject(new Error(`redis-sentinel exited (${String(code)}): ${output}`)));
    child.stdout?.on("data", (buf: Buffer) => {
      output += buf.toString();
      if (output.includes(`+monitor master ${MASTER_NAME}`)) resolve();
    });
  });
  child.removeAllListeners("exit");
  return {
    port,
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = once(child, "exit");
      child.kill("SIGTERM");
      await exited;
    },
  };
}

describe("Redis through Sentinel", () => {
  let dir: string;
  let master: SpawnedRedis;
  let sentinel: { port: number; stop: () => Promise<void> };

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), "shardcast-sentinel-"));
    master = await spawnRedis({ dir: path.join(dir, "master") });
    sentinel = await spawnSentinel(dir, master);
  });

  afterAll(async () => {
    await sentinel?.stop();
    await master?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("connects to the master the Sentinels name, with the database of REDIS_URL", async () => {
    // REDIS_URL's host and port lead nowhere: only the Sentinel can have found the master.
    const target = redisTargetFromEnv({
      REDIS_URL: "redis://127.0.0.1:1/4",
      REDIS_SENTINELS: `127.0.0.1:${sentinel.port}`,
      REDIS_SENTINEL_NAME: MASTER_NAME,
      REDIS_SENTINEL_PASSWORD: SENTINEL_PASSWORD,
    });
    const client = createRedis(target, { name: "sentinel-test" });
    const direct = new Redis(master.url, { db: 4 });
    try {
      await once(client, "ready");
      await client.set("sentinel-probe", "through-sentinel");
      expect(await client.get("sentinel-probe")).toBe("through-sentinel");
      expect(await direct.get("sentinel-probe")).toBe("through-sentinel");
    } finally {
      client.disconnect();
      direct.disconnect();
    }
  });

  it("does not reach the master without the Sentinel's password", async () => {
    const client = createRedis(
      { url: "redis://127.0.0.1:1", sentinel: { sentinels: [{ host: "127.0.0.1", port: sentinel.port }], name: MASTER_NAME } },
      { name: "sentinel-test-nopass" },
    );
    const errors: Error[] = [];
    client.on("error", (err: Error) => errors.push(err));
    try {
      // ioredis reports each Sentinel it could not use, then the failed round, as an error event.
      await once(client, "error");
      expect(client.status).not.toBe("ready");
      expect(errors.map((e) => e.message).join("\n")).toMatch(/NOAUTH/);
    } finally {
      client.disconnect();
    }
  });
});

describe("Sentinel settings", () => {
  const schema = z.object({ REDIS_URL: z.string().default("redis://127.0.0.1:6379"), ...redisSentinelEnvShape }).superRefine(checkRedisSentinelEnv);

  it("parses host:port lists, IPv6 in brackets and the default port", () => {
    expect(parseSentinelList(" s1:26380, [::1]:26381 ,s3")).toEqual([
      { host: "s1", port: 26380 },
      { host: "::1", port: 26381 },
      { host: "s3", port: 26379 },
    ]);
    expect(() => parseSentinelList(" , ")).toThrow();
    expect(() => parseSentinelList("s1:0")).toThrow();
    expect(() => parseSentinelList("s1:port")).toThrow();
  });

  it("needs the master's name with the Sentinels, and the Sentinels with the other settings", () => {
    const issues = (env: Record<string, string>) => {
      const r = schema.safeParse(env);
      return r.success ? [] : r.error.issues.map((i) => i.path.join("."));
    };
    expect(issues({ REDIS_SENTINELS: "s1:26379" })).toEqual(["REDIS_SENTINEL_NAME"]);
    expect(issues({ REDIS_SENTINELS: "s1:nope", REDIS_SENTINEL_NAME: "m" })).toEqual(["REDIS_SENTINELS"]);
    expect(issues({ REDIS_SENTINEL_NAME: "m" })).toEqual(["REDIS_SENTINEL_NAME"]);
    expect(issues({ REDIS_SENTINELS: "", REDIS_SENTINEL_NAME: "" })).toEqual([]);
    const env = schema.parse({ REDIS_URL: "rediss://:pw@ignored:6380/2", REDIS_SENTINELS: "s1:26379,s2", REDIS_SENTINEL_NAME: "m" });
    expect(redisTargetFromEnv(env)).toEqual({
      url: "rediss://:pw@ignored:6380/2",
      sentinel: { sentinels: [{ host: "s1", port: 26379 }, { host: "s2", port: 26379 }], name: "m", password: undefined },
    });
    expect(redisTargetFromEnv(schema.parse({}))).toEqual({ url: "redis://127.0.0.1:6379" });
  });

  it("turns on TLS towards the master and the Sentinels for a rediss:// URL", () => {
    const client = createRedis(
      { url: "rediss://:pw@ignored:6380/2", sentinel: { sentinels: [{ host: "127.0.0.1", port: 1 }], name: "m", password: "sp" } },
      { name: "tls-options" },
    );
    try {
      expect(client.options).toMatchObject({ name: "m", sentinelPassword: "sp", password: "pw", db: 2, enableTLSForSentinelMode: true, sentinelTLS: {} });
      expect(client.options.tls).toBeTruthy();
    } finally {
      client.disconnect();
    }
  });
});
