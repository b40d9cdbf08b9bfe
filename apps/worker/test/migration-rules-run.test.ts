import type { ShardcastError } from "@shardcast/core";
import { getMigrationSettings, listMigrationEvents } from "@shardcast/db";
import { createQueueEvents } from "@shardcast/jobs";
import type { QueueEvents } from "bullmq";
import { Redis } from "ioredis";
import { afterAll, describe, expect, it } from "vitest";
import { runMigration } from "../src/migration/machine.ts";
import { migrationDue } from "../src/migration/schedule.ts";
import { runMigrationScheduler } from "../src/processors/migration-scheduler.ts";
import { startWorker } from "../src/worker.ts";
import { REDIS_URL } from "./lifecycle-harness.ts";
import type { MigrationHarness } from "./migration-harness.ts";
import { rangeOf, useMigrationRulesHarness } from "./migration-rules-harness.ts";

/**
 * What a migration's run keeps to: the window, too many attempts, verification of the copy, the
 * cleanup grace; the scheduler that starts it; its settings.
 */

let t: MigrationHarness;
const { shardlets, other, stoppedInCopy, expectClean } = useMigrationRulesHarness((started) => (t = started));

describe("the migration window and attempts", () => {
  it("does not start before its window", async () => {
    const s = (await shardlets())[5]!;
    const start = new Date(Date.now() + 3_600_000);
    const id = await t.approve(s.id, other(s.hostId), { phase: "scheduled", windowStart: start, windowEnd: new Date(start.getTime() + 3_600_000) });
    expect(await runMigration(t.h.deps, id)).toMatchObject({ status: "paused", phase: "scheduled", resumeAt: start.getTime() });
    const m = await t.migration(id);
    expect(migrationDue(m, Date.now())).toBe(false);
    expect(migrationDue(m, start.getTime())).toBe(true);
    await t.h.db.migration.update({ where: { id }, data: { phase: "cancelled", finishedAt: new Date() } });
  });

  it("gives up a copy its window closed on, cleaning the destination", async () => {
    const s = (await shardlets())[5]!;
    const range = rangeOf(s);
    await t.write(range, 400, { inRangeShare: 1 });
    await t.settings({ rowsPerSecond: 500 });
    try {
      const id = await t.approve(s.id, other(s.hostId), { windowEnd: new Date(Date.now() + 400) });
      expect(await runMigration(t.h.deps, id)).toMatchObject({ status: "failed" });
      const m = await t.migration(id);
      expect(m.rowsCopied).toBeGreaterThan(0);
      // The close, or the projection that it comes first (whichever the copy's chunks meet first).
      expect(m.error).toMatch(/window closed|stopped before the migration window closes/);
      expect(await (await t.h.driver(other(s.hostId))).getFence(s.id)).toBeNull();
      await expectClean(range, s.hostId);
    } finally {
      await t.settings({ rowsPerSecond: 0 });
    }
  });

  it("gives a migration up after too many runs before the switch", async () => {
    const s = (await shardlets())[5]!;
    const before = await getMigrationSettings(t.h.db);
    await t.settings({ maxAttempts: 1 });
    try {
      const id = await stoppedInCopy(s.id, other(s.hostId));
      expect(await runMigration(t.h.deps, id)).toMatchObject({ status: "failed" });
      expect((await t.migration(id)).error).toMatch(/given up after 1 runs/);
      await expectClean(rangeOf(s), s.hostId);
    } finally {
      await t.settings({ maxAttempts: before.maxAttempts });
    }
  });
});

describe("verification", () => {
  it("finds what differs on the destination (missing, changed and extra rows) and re-copies it", async () => {
    const s = (await shardlets())[6]!;
    const range = rangeOf(s);
    await t.write(range, 300, { inRangeShare: 1 });
    const dest = other(s.hostId);
    const damage = async () => {
      const d = await t.h.driver(dest);
      await d.withClient(async (c) => {
        // Three rows lost, one payload changed, one row the source never had.
        await c.query(
          `DELETE FROM sc_events WHERE ctid IN (SELECT ctid FROM sc_events WHERE stream_id = $1 AND key_hash >= $2 AND key_hash < $3 ORDER BY seq LIMIT 3)`,
          [t.h.streamId, range.lo, range.hi],
        );
        await c.query(
          `UPDATE sc_events SET payload = '{"tampered":true}' WHERE ctid IN (SELECT ctid FROM sc_events WHERE stream_id = $1 AND key_hash >= $2 AND key_hash < $3 ORDER BY seq DESC LIMIT 1)`,
          [t.h.streamId, range.lo, range.hi],
        );
      });
      // Far above any sequence the test allocates: only the switch's tail check can meet it.
      const free = 9_000_000_000_000;
      await d.withClient((c) =>
        c.query(
          `INSERT INTO sc_events (stream_id, seq, shardlet_id, key, key_hash, event_id, type, ts, payload, size_bytes)
           VALUES ($1, $2, $3, 'intruder', $4, 'intruder-1', 't', now(), '{}', 10)`,
          [t.h.streamId, free, s.id, range.lo],
        ),
      );
    };
    t.hooks.afterPhase = async (phase) => {
      if (phase === "verifying") await damage();
    };
    try {
      const id = await t.approve(s.id, dest);
      const results = await t.runToEnd(id);
      expect(results[results.length - 1]).toMatchObject({ status: "done" });
      const log = await listMigrationEvents(t.h.db, id);
      const round = log.find((e) => e.message.startsWith("Verify round 1"));
      expect(round?.level).toBe("warn");
      expect((round?.details as { differing: unknown[] }).differing.length).toBeGreaterThanOrEqual(2);
      await expectClean(range, dest);
    } finally {
      t.hooks.afterPhase = undefined;
    }
  });
});

describe("the cleanup grace", () => {
  it("keeps the source's rows through the grace period; a run that would wait too long pauses until then", async () => {
    const s = (await shardlets())[5]!;
    const range = rangeOf(s);
    await t.write(range, 100, { inRangeShare: 1 });
    await t.settings({ cleanupGraceMs: 1_500 });
    const inline = t.h.deps.migration!.maxInlineWaitMs;
    t.h.deps.migration!.maxInlineWaitMs = 100;
    try {
      const id = await t.approve(s.id, other(s.hostId));
      const first = await runMigration(t.h.deps, id);
      expect(first).toMatchObject({ status: "paused", phase: "cleanup", reason: expect.stringMatching(/keeping the source's rows/) as string });
      // Switched, but the source still has every row for readers with older routes.
      expect(await t.route(s.id)).toMatchObject({ hostId: other(s.hostId) });
      expect((await t.onHost(s.hostId, range)).rows).toBe(t.expected(range).rows);
      expect(first.resumeAt).toBeGreaterThan(Date.now() + 500);
      const results = await t.runToEnd(id);
      expect(results[results.length - 1]).toMatchObject({ status: "done" });
      await expectClean(range, other(s.hostId));
    } finally {
      t.h.deps.migration!.maxInlineWaitMs = inline;
      await t.settings({ cleanupGraceMs: 50 });
    }
  });
});

describe("the scheduler and the job", () => {
  let connection: Redis;
  let events: QueueEvents;

  afterAll(async () => {
    await events?.close();
    connection?.disconnect();
  });

  it("starts an approved migration through the queue, and leaves running and waiting ones alone", async () => {
    const [a, b] = (await shardlets()).slice(6, 8);
    connection = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
    const queueName = `mig-${t.h.prefix}`;
    const running = await startWorker(t.h.deps, {
      connection,
      prefix: t.h.prefix,
      queueName,
      concurrency: 2,
      schedule: false,
      accountingEveryMs: 60_000,
      healthEveryMs: 60_000,
      hintDebounceMs: 0,
    });
    events = createQueueEvents(connection, { prefix: t.h.prefix, queueName });
    await events.waitUntilReady();
    try {
      const id = await t.approve(a!.id, other(a!.hostId));
      const waiting = await t.approve(b!.id, other(b!.hostId), {
        phase: "scheduled",
        windowStart: new Date(Date.now() + 3_600_000),
        windowEnd: new Date(Date.now() + 7_200_000),
      });
      const scan = await runMigrationScheduler(t.h.deps, { queue: running.queue });
      expect(scan).toMatchObject({ started: 1, waiting: 1 });
      const [job] = await running.queue.getJobs(["waiting", "active", "delayed", "completed"]);
      expect(job?.name).toBe("migration.run");
      expect(await job!.waitUntilFinished(events, 30_000)).toMatchObject({ status: "done", phase: "done" });
      // A second scan finds nothing to start: done ones are not listed, the waiting one still waits.
      expect(await runMigrationScheduler(t.h.deps, { queue: running.queue })).toEqual({ started: 0, resumed: 0, running: 0, waiting: 1 });
      await t.h.db.migration.update({ where: { id: waiting }, data: { phase: "cancelled", finishedAt: new Date() } });
      expect((await listMigrationEvents(t.h.db, id)).some((e) => e.phase === "done")).toBe(true);
    } finally {
      await running.queue.obliterate({ force: true });
      await running.close();
    }
  });
});

describe("settings", () => {
  it("rejects invalid migration settings with a message per field and stores nothing", async () => {
    const before = await getMigrationSettings(t.h.db);
    const err = await t.settings({ chunkRows: 5, rowsPerSecond: -1 }).then(
      () => null,
      (e: unknown) => e as ShardcastError,
    );
    expect(err?.code).toBe("validation_failed");
    expect(err?.message).toMatch(/chunkRows: copy chunks must hold at least 100 rows/);
    expect(err?.message).toMatch(/rowsPerSecond/);
    expect(await getMigrationSettings(t.h.db)).toEqual(before);
  });
});
