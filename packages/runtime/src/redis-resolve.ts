import { spawn, type ChildProcess } from "node:child_process";
import { mkdir } from "node:fs/promises";
import net from "node:net";
import path from "node:path";
import { pollUntil } from "@shardcast/core";
import type { Logger } from "./logger.ts";

export interface ResolvedRedis {
  url: string;
  /** How the URL was found, for the start banner. */
  source: "REDIS_URL" | "localhost" | "spawned";
  stop(): Promise<void>;
}

function ping(host: string, port: number, timeoutMs = 500): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once("error", () => done(false));
    socket.once("connect", () => socket.write("PING\r\n"));
    socket.once("data", (buf) => done(buf.toString().startsWith("+PONG")));
  });
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const addr = srv.address();
      const port = typeof addr === "object" && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

export class RedisUnavailableError extends Error {
  constructor() {
    super(
      "No Redis found: REDIS_URL is unset, nothing answers on 127.0.0.1:6379 and `redis-server` is not on PATH.\n" +
        "Install Redis (Debian/Ubuntu: `sudo apt-get install redis-server`; macOS: `brew install redis`) or set REDIS_URL.",
    );
  }
}

/** A `redis-server` this process started; `stop()` ends it (SIGTERM) and waits for its exit. */
export interface SpawnedRedis {
  url: string;
  port: number;
  stop(): Promise<void>;
}

/**
 * Starts `redis-server` on 127.0.0.1 without persistence (files under `dir`), on `port` or a free
 * one, and waits until it answers. Also what the tests use for a Redis of their own to empty, stop
 * and start again on the same port. `args` are more `redis-server` options (e.g. cluster mode).
 */
export async function spawnRedis(opts: { dir: string; port?: number; log?: Logger; args?: string[] }): Promise<SpawnedRedis> {
  await mkdir(opts.dir, { recursive: true });
  const port = opts.port ?? (await freePort());
  let child: ChildProcess;
  try {
    child = await new Promise<ChildProcess>((resolve, reject) => {
      const c = spawn("redis-server", ["--bind", "127.0.0.1", "--port", String(port), "--dir", opts.dir, "--save", "", "--appendonly", "no", ...(opts.args ?? [])], {
        stdio: ["ignore", "pipe", "pipe"],
      });
      c.once("error", reject);
      c.once("spawn", () => resolve(c));
    });
  } catch {
    throw new RedisUnavailableError();
  }
  await pollUntil(
    `redis-server to answer on port ${port}`,
    async () => {
      if (await ping("127.0.0.1", port)) return true;
      // A server that exited (port taken, bad option) will never answer: say so now, not in 10 s.
      if (child.exitCode !== null) throw new Error(`redis-server did not start on port ${port} (exit ${child.exitCode})`);
      return false;
    },
    10_000,
    { intervalMs: 50 },
  );
  opts.log?.info("spawned redis-server", { port });
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once("exit", () => resolve());
        child.kill("SIGTERM");
      }),
  };
}

/**
 * Redis for the embedded start and the tests: REDIS_URL if set, else a server on 127.0.0.1:6379
 * if one answers, else a `redis-server` spawned on a free port with its files under `dataDir`,
 * else a clear error. No npm package ships a Redis binary, hence the spawn.
 */
export async function resolveRedis(opts: { url?: string | undefined; dataDir: string; log: Logger }): Promise<ResolvedRedis> {
  if (opts.url) return { url: opts.url, source: "REDIS_URL", stop: async () => {} };
  if (await ping("127.0.0.1", 6379)) return { url: "redis://127.0.0.1:6379", source: "localhost", stop: async () => {} };
  const spawned = await spawnRedis({ dir: path.resolve(opts.dataDir, "redis"), log: opts.log });
  return { url: spawned.url, source: "spawned", stop: () => spawned.stop() };
}
