/**
 * `npm start`: the whole system on one machine. Embedded PostgreSQL (unless DATABASE_URL is set)
 * with a control database and storage-host databases, Redis (REDIS_URL, else localhost, else a
 * spawned redis-server), migrations, seed data, then the worker, the edge, the console and a demo
 * producer. Ctrl-C stops everything; the next start reuses the data directory.
 *
 * `npm run dev` (`--dev`): the same, but the worker and the edge run under `tsx watch` (restarted
 * when a file they import changes) and the console under `next dev` (hot reload, no build).
 */
import { mkdir } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { applyControlMigrations, createControlDb, HostPool, countUsers, rewriteHostDsns, upgradeHostSchemas } from "@shardcast/db";
import { argvFlags, UsageError } from "@shardcast/sim/cli/argv";
import { createLogger, resolveRedis, type ResolvedRedis } from "@shardcast/runtime";
import { ensureDatabase, startEmbeddedPostgres, withDatabase } from "@shardcast/runtime/embedded-postgres";
import { spawnChild, waitForHttp, type Child } from "./start/children.ts";
import { inheritedEnv, loadStartConfig } from "./env.ts";
import { DEMO_LEDGER_STREAM } from "./demo-ledger.ts";
import { startEdgeBalancer } from "@shardcast/runtime/edge-balancer";
import { movedEmbeddedDsn } from "./start/embedded-hosts.ts";
import { seed } from "./start/seed.ts";
import { StopRequested, Stopper, stopOnSignals } from "./start/stop.ts";
import { buildWeb, WEB_SERVER, webBuildNeeded } from "./start/web-build.ts";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const say = (line: string) => process.stdout.write(`[start]   ${line}\n`);

const USAGE = "usage: npm start | npm run dev   (node --import tsx scripts/start.ts [--dev])\n\n  --dev   development mode: the worker and the edge restart on source changes, the console runs `next dev`";
let dev = false;
try {
  for (const f of argvFlags(process.argv.slice(2), ["--dev"])) {
    if (f.flag === "--help") {
      process.stdout.write(`${USAGE}\n`);
      process.exit(0);
    } else if (f.flag === "--dev") {
      f.noValue();
      dev = true;
    } else throw new UsageError(`unknown argument ${f.arg}`);
  }
} catch (err) {
  if (!(err instanceof UsageError)) throw err;
  process.stderr.write(`${err.message}\n${USAGE}\n`);
  process.exit(2);
}

const cfg = loadStartConfig(root);
const log = createLogger({ app: "start" }, { level: cfg.SHARDCAST_LOG_LEVEL });
const stopper = new Stopper((what, err) => log.warn(what, { err }));
let exiting: Promise<never> | null = null;

/**
 * Stops the services, then the servers they use (a server still starting included), says so and
 * exits. A second signal during the stop joins the stop under way: exiting at once would leave the
 * embedded PostgreSQL, which runs in its own process group, behind.
 */
function shutdown(code: number): Promise<never> {
  exiting ??= (async () => {
    say("stopping...");
    await stopper.stop();
    say("stopped");
    process.exit(code);
  })();
  return exiting;
}
stopOnSignals(() => void shutdown(0), say);

async function main() {
  await mkdir(cfg.dataDir, { recursive: true });

  // 1. PostgreSQL: the control database and the storage hosts.
  let databaseUrl: string;
  let hostDsns: string[];
  if (cfg.DATABASE_URL) {
    databaseUrl = cfg.DATABASE_URL;
    const base = new URL(databaseUrl).pathname.slice(1) || "shardcast";
    hostDsns = cfg.SHARDCAST_HOST_DSNS
      ? cfg.SHARDCAST_HOST_DSNS.split(",").map((s) => s.trim()).filter(Boolean)
      : Array.from({ length: cfg.SHARDCAST_DEMO_HOSTS }, (_, i) => withDatabase(databaseUrl, `${base}_host_${i + 1}`));
    if (!cfg.SHARDCAST_HOST_DSNS) {
      const admin = withDatabase(databaseUrl, "postgres");
      for (const dsn of hostDsns) await ensureDatabase(admin, new URL(dsn).pathname.slice(1));
    }
    say("using PostgreSQL from DATABASE_URL");
  } else {
    say(`starting embedded PostgreSQL on 127.0.0.1:${cfg.SHARDCAST_PG_PORT} (data in ${path.relative(root, cfg.dataDir) || "."}/postgres)`);
    const pg = await stopper.server(() =>
      startEmbeddedPostgres({
        dataDir: cfg.dataDir,
        port: cfg.SHARDCAST_PG_PORT,
        log,
        runtimeDir: cfg.SHARDCAST_PG_RUNTIME_DIR,
      }),
    );
    if (!pg.databaseDir.startsWith(cfg.dataDir)) {
      say(`the postgres account cannot enter this folder, so the server's data lives in ${pg.databaseDir}`);
    }
    await pg.ensureDatabase("shardcast");
    databaseUrl = pg.urlFor("shardcast");
    hostDsns = [];
    for (let i = 1; i <= cfg.SHARDCAST_DEMO_HOSTS; i++) {
      await pg.ensureDatabase(`shardcast_host_${i}`);
      hostDsns.push(pg.urlFor(`shardcast_host_${i}`));
    }
  }

  // 2. Redis.
  let redis: ResolvedRedis;
  try {
    redis = await stopper.server(() => resolveRedis({ url: cfg.REDIS_URL, dataDir: cfg.dataDir, log }));
  } catch (err) {
    if (err instanceof StopRequested) throw err;
    say(err instanceof Error ? err.message : String(err));
    return shutdown(1);
  }
  say(`Redis: ${redis.source === "REDIS_URL" ? "from REDIS_URL" : redis.source === "localhost" ? "127.0.0.1:6379" : "spawned redis-server"}`);

  // 3. Schema and seed data.
  say("applying control-plane migrations");
  await applyControlMigrations(databaseUrl, (line) => say(`  ${line}`));
  const db = createControlDb(databaseUrl);
  if (!cfg.DATABASE_URL) {
    for (const name of await rewriteHostDsns(db, (dsn) => movedEmbeddedDsn(dsn, databaseUrl))) {
      say(`storage host ${name}: re-pointed at the embedded server's port ${cfg.SHARDCAST_PG_PORT}`);
    }
  }
  const hosts = new HostPool(db, { poolSize: 2 });
  await upgradeHostSchemas(db, say);
  const seeded = await seed(db, hosts, cfg, hostDsns, say);
  const needsSetup = (await countUsers(db)) === 0;
  await hosts.closeAll();
  await db.$disconnect();

  // 4. The console needs a production build (not in development mode: `next dev` compiles on demand).
  const env: NodeJS.ProcessEnv = {
    ...inheritedEnv(),
    DATABASE_URL: databaseUrl,
    REDIS_URL: redis.url,
    SHARDCAST_REDIS_PREFIX: cfg.SHARDCAST_REDIS_PREFIX,
    SHARDCAST_EDGE_URL: `http://${cfg.SHARDCAST_BIND}:${cfg.SHARDCAST_EDGE_PORT}`,
    SHARDCAST_EDGE_PORT: String(cfg.SHARDCAST_EDGE_PORT),
    SHARDCAST_EDGE_HOST: cfg.SHARDCAST_BIND,
    NEXT_TELEMETRY_DISABLED: "1",
    NODE_ENV: dev ? "development" : "production",
  };
  const rebuild = !dev && (cfg.SHARDCAST_REBUILD === "always" || (cfg.SHARDCAST_REBUILD === "auto" && (await webBuildNeeded(root))));
  stopper.check();
  if (rebuild) {
    say("building the console (first start or changed sources; takes a minute or two)");
    await buildWeb(root, env, (line) => say(`  ${line}`));
  }

  // 5. Services.
  const tsx = ["--import", "tsx"];
  const webEnv = { ...env, PORT: String(cfg.SHARDCAST_WEB_PORT), HOSTNAME: cfg.SHARDCAST_BIND };
  // Registered as it starts: a stop from here on stops it; once the stop has begun, nothing starts.
  const service = (name: string, args: string[], opts: { cwd: string; env: NodeJS.ProcessEnv; group?: boolean }) =>
    stopper.child(() => spawnChild(name, process.execPath, args, opts));
  // Several edges (SHARDCAST_EDGES) listen on the ports after the edge port, behind a round-robin
  // entry on it; several workers (SHARDCAST_WORKERS) take health ports one after the other: the
  // production shape on one machine.
  const edgePorts = cfg.SHARDCAST_EDGES === 1 ? [cfg.SHARDCAST_EDGE_PORT] : Array.from({ length: cfg.SHARDCAST_EDGES }, (_, i) => cfg.SHARDCAST_EDGE_PORT + 1 + i);
  const numbered = (name: string, i: number, count: number) => (count === 1 ? name : `${name}-${i + 1}`);
  const workerEnv = (i: number): NodeJS.ProcessEnv => ({ ...env, SHARDCAST_WORKER_HEALTH_PORT: String(cfg.SHARDCAST_WORKER_HEALTH_PORT === 0 ? 0 : cfg.SHARDCAST_WORKER_HEALTH_PORT + i) });
  const edgeEnv = (port: number): NodeJS.ProcessEnv => ({ ...env, SHARDCAST_EDGE_PORT: String(port) });
  const workers: Child[] = [];
  const edges: Child[] = [];
  let web: Child;
  if (dev) {
    // Each watcher leads a process group of its own, so stopping it also stops what it started.
    const watch = (name: string, entry: string, childEnv: NodeJS.ProcessEnv) =>
      service(name, [path.join(root, "node_modules/tsx/dist/cli.mjs"), "watch", "--clear-screen=false", entry], { cwd: root, env: childEnv, group: true });
    for (let i = 0; i < cfg.SHARDCAST_WORKERS; i++) workers.push(watch(numbered("worker", i, cfg.SHARDCAST_WORKERS), "apps/worker/src/main.ts", workerEnv(i)));
    edgePorts.forEach((port, i) => edges.push(watch(numbered("edge", i, edgePorts.length), "apps/edge/src/main.ts", edgeEnv(port))));
    const next = path.join(root, "node_modules/next/dist/bin/next");
    web = service("web", [next, "dev", "--port", webEnv.PORT, "--hostname", webEnv.HOSTNAME], { cwd: path.join(root, "apps/web"), env: webEnv, group: true });
  } else {
    for (let i = 0; i < cfg.SHARDCAST_WORKERS; i++) workers.push(service(numbered("worker", i, cfg.SHARDCAST_WORKERS), [...tsx, "apps/worker/src/main.ts"], { cwd: root, env: workerEnv(i) }));
    edgePorts.forEach((port, i) => edges.push(service(numbered("edge", i, edgePorts.length), [...tsx, "apps/edge/src/main.ts"], { cwd: root, env: edgeEnv(port) })));
    // The same standalone server as in production; it takes its address from PORT and HOSTNAME.
    web = service("web", [path.join(root, WEB_SERVER)], { cwd: path.join(root, "apps/web"), env: webEnv });
  }
  if (edgePorts.length > 1) {
    await stopper.server(() => startEdgeBalancer({ host: cfg.SHARDCAST_BIND, port: cfg.SHARDCAST_EDGE_PORT, targets: edgePorts.map((port) => ({ host: cfg.SHARDCAST_BIND, port })) }));
    say(`${edgePorts.length} edges on ports ${edgePorts.join(", ")}, behind a round-robin entry on ${cfg.SHARDCAST_EDGE_PORT}; ${cfg.SHARDCAST_WORKERS} worker(s)`);
  }
  for (const child of [...workers, ...edges, web]) {
    void child.exited.then((code) => {
      if (!stopper.isStopping) {
        say(`${child.name} exited unexpectedly (code ${code}); stopping everything`);
        void shutdown(1);
      }
    });
  }
  const edgeUrl = `http://${cfg.SHARDCAST_BIND}:${cfg.SHARDCAST_EDGE_PORT}`;
  const webUrl = `http://${cfg.SHARDCAST_BIND}:${cfg.SHARDCAST_WEB_PORT}`;
  for (const [i, edge] of edges.entries()) await waitForHttp(`http://${cfg.SHARDCAST_BIND}:${edgePorts[i]!}/healthz`, { child: edge, timeoutMs: 60_000 });
  // `next dev` compiles each route on its first request.
  await waitForHttp(`${webUrl}/api/health`, { child: web, timeoutMs: dev ? 300_000 : 120_000 });

  if (seeded.demoToken) {
    const demo = service("demo", [...tsx, "scripts/demo-producer.ts"], {
      cwd: root,
      env: { ...env, SHARDCAST_DEMO_TOKEN: seeded.demoToken, SHARDCAST_DEMO_RATE: String(cfg.SHARDCAST_DEMO_RATE) },
    });
    void demo.exited.then((code) => !stopper.isStopping && say(`demo producer exited (code ${code}); the system keeps running`));
    const consumers = service("consumers", [...tsx, "scripts/demo-consumer.ts"], {
      cwd: root,
      env: { ...env, SHARDCAST_DEMO_TOKEN: seeded.demoToken },
    });
    void consumers.exited.then((code) => !stopper.isStopping && say(`demo consumers exited (code ${code}); the system keeps running`));
  }

  say("");
  say(`Shardcast is up: console ${webUrl}  edge ${edgeUrl}`);
  if (dev) say("development mode: the worker and the edge restart when their sources change, the console reloads in place");
  if (needsSetup) say(`open ${webUrl}/setup to create the first admin account`);
  else if (seeded.adminSeeded) say(`sign in as ${cfg.SHARDCAST_ADMIN_EMAIL}`);
  if (seeded.demoToken) {
    say(`demo producer is sending events to stream "${seeded.demoStream}" (about ${cfg.SHARDCAST_DEMO_RATE} events/s); consumer groups "demo-analytics" and "demo-audit" read them`);
    say(`and ledger entries to "${DEMO_LEDGER_STREAM}", which a reporter reads after each of its report requests (the prefetcher learns to cache them ahead)`);
  }
  say("press Ctrl-C to stop");
}

main().catch((err: unknown) => {
  // A step that failed because the stop ended what it used (or `StopRequested`) is no failure.
  if (stopper.isStopping) return;
  say(`start failed: ${err instanceof Error ? err.message : String(err)}`);
  log.debug("start failure", { err });
  void shutdown(1);
});
