import { spawn, type ChildProcess } from "node:child_process";
import { readFileSync } from "node:fs";
import { randomUUID } from "node:crypto";
import path from "node:path";
import readline from "node:readline";
import { fileURLToPath } from "node:url";
import type { ControlDb, HostPool } from "@shardcast/db";
import { createTestCluster, type TestCluster } from "@shardcast/db/testing";
import { createRedis, freePort } from "@shardcast/runtime";
import setupServices from "@shardcast/runtime/testing/global-setup";
import { benchEnv, childEnv, currentRedisUrl } from "../env.ts";
import { pool } from "./pool.ts";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");

export interface BenchCluster {
  db: ControlDb;
  hosts: HostPool;
  hostDsns: string[];
  hostIds: string[];
  controlUrl: string;
  redisUrl: string;
  prefix: string;
  streamId: string;
  token: string;
  edgeUrl: string;
  /** CPU time (user + system, ms) the first edge process has used so far; NaN where /proc is not there. */
  edgeCpuMs(): number;
  /** Starts the worker as its own process (as in production). */
  startWorker(env: Record<string, string>): Promise<void>;
  /** Starts one more edge process with these settings on top of the cluster's; resolves to its URL. */
  startEdge(env: Record<string, string>): Promise<string>;
  /** Starts the ideal server (support/ideal-server.ts) as its own process; resolves to its URL. */
  startIdealServer(): Promise<string>;
  close(): Promise<void>;
}

/** Spawns a service and resolves once it logs `readyLine` (its output is forwarded to stderr). */
async function spawnService(script: string, env: Record<string, string>, readyLine: string, extraArgs: string[] = [], scriptArgs: string[] = []): Promise<ChildProcess> {
  const child = spawn(process.execPath, [...extraArgs, "--import", "tsx", script, ...scriptArgs], { cwd: ROOT, env: childEnv(env), stdio: ["ignore", "inherit", "pipe"] });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${script} did not become ready`)), 60_000);
    child.once("exit", (code) => reject(new Error(`${script} exited with code ${code}`)));
    readline.createInterface({ input: child.stderr }).on("line", (line) => {
      process.stderr.write(line + "\n");
      if (line.includes(readyLine)) {
        clearTimeout(timer);
        resolve();
      }
    });
  });
  return child;
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once("exit", r));
  child.kill("SIGTERM");
  await exited;
}

/**
 * A real cluster for a benchmark: a control database, `hostCount` storage-host databases, one
 * stream, an API key and an edge process, on PostgreSQL and Redis found like the tests find them.
 */
export async function startBenchCluster(opts: {
  hostCount: number;
  shardCount: number;
  shardletsPerShard: number;
  /** Runs before the edge starts (so it reads what this writes at its first settings load), e.g. settings or more streams. */
  beforeEdge?: (cluster: TestCluster) => Promise<void>;
}): Promise<BenchCluster> {
  const teardownServices = await setupServices();
  const prefix = `bench-${randomUUID().slice(0, 8)}`;
  const children: ChildProcess[] = [];
  // The services setup has put REDIS_URL into the environment (found, spawned or given).
  const redisUrl = currentRedisUrl();
  let cluster: TestCluster | null = null;
  const close = async () => {
    for (const c of children.reverse()) await stop(c);
    const redis = createRedis(redisUrl);
    const keys = [...(await redis.keys(`${prefix}:*`)), ...(await redis.keys(`{${prefix}}:*`))];
    for (let i = 0; i < keys.length; i += 500) await redis.del(...keys.slice(i, i + 500));
    await redis.quit();
    await cluster?.drop();
    await teardownServices();
  };
  try {
    cluster = await createTestCluster({ hosts: opts.hostCount, stream: "bench", shardCount: opts.shardCount, shardletsPerShard: opts.shardletsPerShard, hostPoolSize: 2 });
    // info level: the ready lines are what tells us a service is up.
    await opts.beforeEdge?.(cluster);
    const base = { DATABASE_URL: cluster.controlUrl, REDIS_URL: redisUrl, SHARDCAST_REDIS_PREFIX: prefix, SHARDCAST_LOG_LEVEL: "info" };
    const port = await freePort();
    // A diagnostic: the first edge of any suite runs under Node's CPU profiler.
    const profile = benchEnv.SHARDCAST_BENCH_EDGE_PROFILE_DIR;
    const edgeArgs = profile ? ["--cpu-prof", `--cpu-prof-dir=${profile}`] : [];
    const edge = await spawnService("apps/edge/src/main.ts", { ...base, SHARDCAST_EDGE_PORT: String(port) }, "edge ready", edgeArgs);
    children.push(edge);
    const edgeUrl = `http://127.0.0.1:${port}`;
    return {
      db: cluster.db,
      hosts: cluster.hosts,
      hostDsns: [...cluster.hostDsns.values()],
      hostIds: cluster.hostIds,
      controlUrl: cluster.controlUrl,
      redisUrl,
      prefix,
      streamId: cluster.streamId,
      token: cluster.token,
      edgeUrl,
      edgeCpuMs: () => processCpuMs(edge.pid),
      startWorker: async (env) => {
        children.push(await spawnService("apps/worker/src/main.ts", { ...base, ...env }, "worker ready"));
      },
      startEdge: async (env) => {
        const p = await freePort();
        children.push(await spawnService("apps/edge/src/main.ts", { ...base, ...env, SHARDCAST_EDGE_PORT: String(p) }, "edge ready"));
        return `http://127.0.0.1:${p}`;
      },
      startIdealServer: async () => {
        const p = await freePort();
        children.push(await spawnService("bench/src/support/ideal-server.ts", {}, "ideal server ready", [], [String(p)]));
        return `http://127.0.0.1:${p}`;
      },
      close,
    };
  } catch (err) {
    await close();
    throw err;
  }
}

/**
 * CPU time a process has used (user + system, ms) from /proc/<pid>/stat: fields 14 and 15, in
 * clock ticks of 1/100 s (USER_HZ, 100 on every mainstream Linux architecture). NaN elsewhere.
 */
function processCpuMs(pid: number | undefined): number {
  if (pid === undefined) return NaN;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // The command name (field 2) may hold spaces: fields are counted after its closing parenthesis.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return NaN;
  }
}

/** Sends prepared batch bodies with `concurrency` producers; returns ack latencies (ms), one per body. */
export function sendBatches(edgeUrl: string, token: string, bodies: string[], concurrency: number, stream = "bench"): Promise<number[]> {
  return pool(bodies, concurrency, async (body) => {
    const t0 = performance.now();
    const res = await fetch(`${edgeUrl}/v1/streams/${stream}/events`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
      body,
    });
    if (!res.ok) throw new Error(`edge answered ${res.status}: ${await res.text()}`);
    await res.arrayBuffer();
    return performance.now() - t0;
  });
}
