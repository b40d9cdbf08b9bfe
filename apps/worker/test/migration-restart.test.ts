import { spawn, type ChildProcess } from "node:child_process";
import path from "node:path";
import readline from "node:readline";
import { fileURLToPath } from "node:url";
import { LIFECYCLE_SETTINGS_KEY } from "@shardcast/core";
import { listMigrationEvents, updateSetting } from "@shardcast/db";
import { createQueueEvents, enqueue } from "@shardcast/jobs";
import type { QueueEvents } from "bullmq";
import { Redis } from "ioredis";
import { pgAdminUrl } from "@shardcast/db/env";
import { waitFor } from "@shardcast/db/testing";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runOverflowDrain } from "../src/processors/overflow-drain.ts";
import { startWorker } from "../src/worker.ts";
import { exactlyOnceProblems, REDIS_URL } from "./lifecycle-harness.ts";
import { startMigrationHarness, type MigrationHarness } from "./migration-harness.ts";

/**
 * Real failures rather than hooks that throw: a storage host whose connections are all terminated
 * (what a restart does to its clients) in the middle of the copy, and a worker process killed with
 * SIGKILL mid-copy and replaced by a new one.
 */

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");

let t: MigrationHarness;

beforeAll(async () => {
  t = await startMigrationHarness();
});

afterAll(async () => {
  await t?.close();
});

async function databaseOf(hostId: string): Promise<string> {
  const d = await t.h.driver(hostId);
  return d.withClient(async (c) => (await c.query<{ db: string }>("SELECT current_database() AS db")).rows[0]!.db);
}

/**
 * A host database going down and coming back: it stops accepting connections and every connection
 * to it is terminated (what clients see of a restart); `back()` lets connections in again.
 */
async function takeDown(database: string): Promise<{ terminated: number; back: () => Promise<void> }> {
  const admin = new pg.Client({ connectionString: pgAdminUrl() });
  await admin.connect();
  try {
    await admin.query(`ALTER DATABASE "${database}" ALLOW_CONNECTIONS false`);
    const res = await admin.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM (SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()) x",
      [database],
    );
    return {
      terminated: res.rows[0]?.n ?? 0,
      back: async () => {
        const c = new pg.Client({ connectionString: pgAdminUrl() });
        await c.connect();
        await c.query(`ALTER DATABASE "${database}" ALLOW_CONNECTIONS true`).finally(() => c.end());
      },
    };
  } finally {
    await admin.end();
  }
}

async function target(index: number) {
  const s = (await t.h.db.shardlet.findMany({ where: { streamId: t.h.streamId, state: "active" }, orderBy: { lo: "asc" } }))[index]!;
  return { id: s.id, range: { lo: Number(s.lo), hi: Number(s.hi) }, from: s.hostId, to: t.h.hostIds.find((h) => h !== s.hostId)! };
}

async function expectMovedCleanly(s: Awaited<ReturnType<typeof target>>) {
  await runOverflowDrain(t.h.deps, { streamId: t.h.streamId });
  expect(await t.route(s.id)).toMatchObject({ hostId: s.to, shadowHostId: null });
  expect(await t.onHost(s.to, s.range)).toEqual(t.expected(s.range));
  expect((await t.onHost(s.from, s.range)).rows).toBe(0);
  expect(exactlyOnceProblems(await t.h.check())).toEqual([]);
}

describe("a storage host restarting during the copy", () => {
  let connection: Redis;
  let events: QueueEvents;

  afterAll(async () => {
    await events?.close();
    connection?.disconnect();
  });

  it("makes the run stop; the job's retry resumes the copy and finishes the migration", async () => {
    await t.settings({ chunkRows: 100, verifyRangeRows: 100, rowsPerSecond: 0, cleanupGraceMs: 50 });
    const s = await target(0);
    await t.write(s.range, 800, { inRangeShare: 1 });
    const destDb = await databaseOf(s.to);
    connection = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
    const queueName = `mig-restart-${t.h.prefix}`;
    const running = await startWorker(t.h.deps, {
      connection,
      prefix: t.h.prefix,
      queueName,
      concurrency: 1,
      schedule: false,
      accountingEveryMs: 60_000,
      healthEveryMs: 60_000,
      hintDebounceMs: 0,
    });
    events = createQueueEvents(connection, { prefix: t.h.prefix, queueName });
    await events.waitUntilReady();
    let chunks = 0;
    const outage: { over?: Promise<void> } = {};
    let terminated = 0;
    t.hooks.afterStep = async (step) => {
      if (step !== "copy.chunk" || ++chunks !== 2) return;
      // Down for longer than the run's own retries last: the run stops, the job retries later.
      const down = await takeDown(destDb);
      terminated = down.terminated;
      outage.over = new Promise((r) => setTimeout(r, 2_500)).then(down.back);
    };
    try {
      const id = await t.approve(s.id, s.to);
      const job = await enqueue(running.queue, "migration.run", { migrationId: id });
      const result = await job.waitUntilFinished(events, 45_000);
      expect(result).toMatchObject({ status: "done" });
      expect(terminated).toBeGreaterThan(0);
      const m = await t.migration(id);
      expect(m.attempts).toBeGreaterThanOrEqual(2);
      const log = await listMigrationEvents(t.h.db, id);
      expect(log.some((e) => e.level === "error" && e.message.startsWith("Run stopped: copying"))).toBe(true);
      expect(log.filter((e) => e.message.startsWith("Copy started"))).toHaveLength(1);
    } finally {
      t.hooks.afterStep = undefined;
      await outage.over;
      await running.queue.obliterate({ force: true });
      await running.close();
    }
    await expectMovedCleanly(s);
  }, 60_000);
});

describe("a worker process killed mid-copy", () => {
  const children: ChildProcess[] = [];
  /** The last lines each worker process logged, for the failure message when a wait times out. */
  const tails = new Map<ChildProcess, string[]>();

  afterAll(async () => {
    for (const c of children) {
      if (c.exitCode === null && c.signalCode === null) {
        const exited = new Promise((r) => c.once("exit", r));
        c.kill("SIGTERM");
        await exited;
      }
    }
  });

  /** Starts the worker as production does, on this test's control database and Redis prefix. */
  async function startWorkerProcess(controlUrl: string): Promise<ChildProcess> {
    const child = spawn(process.execPath, ["--import", "tsx", "apps/worker/src/main.ts"], {
      cwd: ROOT,
      env: {
        ...process.env,
        DATABASE_URL: controlUrl,
        REDIS_URL,
        SHARDCAST_REDIS_PREFIX: t.h.prefix,
        SHARDCAST_MIGRATION_SCHEDULER_EVERY_MS: "300",
        // Jobs this test does not need stay off: a fresh process runs every schedule at once, and
        // on a loaded machine that burst delays the scheduler this test waits on.
        SHARDCAST_ORCHESTRATOR_EVERY_MS: "0",
        SHARDCAST_CORRELATE_EVERY_MS: "0",
        SHARDCAST_PLACEMENT_EVERY_MS: "0",
        SHARDCAST_PREALLOC_EVERY_MS: "0",
        SHARDCAST_TRAIN_EVERY_MS: "0",
        SHARDCAST_WORKER_HEALTH_PORT: "0",
        SHARDCAST_LOG_LEVEL: "debug",
      },
      stdio: ["ignore", "ignore", "pipe"],
    });
    children.push(child);
    await new Promise<void>((resolve, reject) => {
      // A fresh process compiles the whole worker with tsx first: tens of seconds on two loaded cores.
      const timer = setTimeout(() => reject(new Error("the worker did not become ready")), 120_000);
      child.once("exit", (code) => reject(new Error(`the worker exited with code ${code}`)));
      const tail: string[] = [];
      tails.set(child, tail);
      readline.createInterface({ input: child.stderr }).on("line", (line) => {
        // The scheduler's own completions (every 300 ms) would crowd out what matters.
        if (!line.includes('"job":"migration.scheduler"')) tail.push(line);
        if (tail.length > 30) tail.shift();
        if (line.includes("worker ready")) {
          clearTimeout(timer);
          resolve();
        }
      });
    });
    return child;
  }

  /** What the migration and the worker processes were doing, for a wait that timed out. */
  async function situation(migrationId: string): Promise<string> {
    const m = await t.migration(migrationId);
    const log = (await listMigrationEvents(t.h.db, migrationId)).slice(-8).map((e) => `  ${e.level} ${e.message}`);
    const workers = children.map((c, i) => `worker process ${i + 1} (exit ${c.exitCode ?? c.signalCode ?? "running"}):\n${(tails.get(c) ?? []).map((l) => `  ${l}`).join("\n")}`);
    return [`migration: phase ${m.phase}, ${m.rowsCopied}/${m.rowsTotal} rows copied, ${m.attempts} attempts`, "events:", ...log, ...workers].join("\n");
  }

  it("is finished by the next worker process", async () => {
    // Slow enough that the kill lands in the copy: 2,000 rows at 400 rows/s.
    await t.settings({ chunkRows: 100, verifyRangeRows: 200, rowsPerSecond: 400, cleanupGraceMs: 200 });
    // The worker processes run the lifecycle manager too; on a loaded machine it found the target
    // cold before the copy began and merged it away, failing the migration this test is about.
    await updateSetting(t.h.db, LIFECYCLE_SETTINGS_KEY, { enabled: false }, null);
    const s = await target(1);
    await t.write(s.range, 2_000, { inRangeShare: 1, batch: 100 });
    const database = (await t.h.db.$queryRaw<Array<{ db: string }>>`SELECT current_database()::text AS db`)[0]!.db;
    const url = new URL(pgAdminUrl());
    url.pathname = `/${database}`;
    const producing = t.produceWhile(s.range, { producers: 1 });
    try {
      const first = await startWorkerProcess(url.toString());
      const id = await t.approve(s.id, s.to);
      // The first worker's scheduler starts it; kill the process once it has copied a few chunks.
      // Generous: a fresh worker process declares and runs every periodic job at once, which takes
      // a while on a loaded machine before the scheduler gets to the approved migration.
      await waitFor("the copy to start", async () => (await t.migration(id)).rowsCopied >= 300, 120_000, { intervalMs: 100, explain: () => situation(id) });
      const exited = new Promise((r) => first.once("exit", r));
      first.kill("SIGKILL");
      await exited;
      const killedAt = await t.migration(id);
      expect(killedAt.phase).toBe("copying");
      expect(killedAt.rowsCopied).toBeLessThan(killedAt.rowsTotal);

      await t.settings({ rowsPerSecond: 0 });
      await startWorkerProcess(url.toString());
      const done = await waitFor(
        "the migration to finish",
        async () => {
          const m = await t.migration(id);
          return m.phase === "done" ? m : null;
        },
        60_000,
        { intervalMs: 100, explain: () => situation(id) },
      );
      expect(done.attempts).toBeGreaterThanOrEqual(2);
      const log = await listMigrationEvents(t.h.db, id);
      expect(log.filter((e) => e.message.startsWith("Copy started"))).toHaveLength(1);
    } finally {
      await producing.stop();
    }
    await expectMovedCleanly(s);
  }, 300_000);
});
