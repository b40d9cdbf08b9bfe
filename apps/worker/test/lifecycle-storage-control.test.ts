import { isShardcastError, LIFECYCLE_SETTINGS_KEY } from "@shardcast/core";
import {
  createLifecycleJob,
  createPendingShardlets,
  createStream,
  getLifecycleSettings,
  HostPool,
  listSettingAudit,
  loadRoutes,
  markShardletsChanging,
  registerHost,
  startLifecycleAttempt,
  switchShardlets,
  updateLifecycleSettings,
  type ControlDb,
} from "@shardcast/db";
import { createTestControlDb, createTestHostDb } from "@shardcast/db/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

/**
 * The lifecycle's records in the control database: one job per source, the lifecycle settings, a
 * job's phase moved only with its step's write, pending shardlets kept out of the routes.
 */

let control: Awaited<ReturnType<typeof createTestControlDb>>;
let hostDb: Awaited<ReturnType<typeof createTestHostDb>>;
let db: ControlDb;

beforeAll(async () => {
  control = await createTestControlDb();
  db = control.db;
  hostDb = await createTestHostDb();
});

afterAll(async () => {
  await control?.drop();
  await hostDb?.drop();
});

/** The test's host database as a registered host (one registration per database). */
async function ensureHost(): Promise<void> {
  if ((await db.host.count()) === 0) await registerHost(db, { name: "storage-h", dsn: hostDb.dsn });
}

describe("control database", () => {
  it("creates one job per source even when two planners race", async () => {
    const input = { kind: "split" as const, streamId: "s", hostId: "h", sourceIds: ["race-1"], childIds: ["a", "b"], splitAt: 5, reason: "r" };
    const results = await Promise.all([createLifecycleJob(db, input), createLifecycleJob(db, { ...input, childIds: ["c", "d"] })]);
    expect(results.filter((r) => r.created)).toHaveLength(1);
    expect(results[0].job.id).toBe(results[1].job.id);
    // A merge that overlaps the unfinished split gets the split back, not a second job.
    const merge = await createLifecycleJob(db, { ...input, kind: "merge", sourceIds: ["race-0", "race-1"], childIds: ["m"] });
    expect(merge).toMatchObject({ created: false, job: { kind: "split" } });
  });

  it("validates, stores and audits the lifecycle settings", async () => {
    expect(await getLifecycleSettings(db)).toMatchObject({ splitThreshold: 0.8, initialCapacityBytes: 10 * 1024 * 1024 });
    const err = await updateLifecycleSettings(db, { splitThreshold: 0.3, mergeThreshold: 0.2 }, null).catch((e: unknown) => e);
    expect(isShardcastError(err) && err.code).toBe("validation_failed");
    expect((err as Error).message).toMatch(/mergeThreshold: merge threshold must be less than half the split threshold/);
    const saved = await updateLifecycleSettings(db, { initialCapacityBytes: 1024 * 1024, splitThreshold: 0.7 }, { email: "op@example.com" });
    expect(saved).toMatchObject({ initialCapacityBytes: 1024 * 1024, splitThreshold: 0.7, mergeThreshold: 0.2 });
    await updateLifecycleSettings(db, { mergeWriteRate: 3 }, null);
    expect(await getLifecycleSettings(db)).toMatchObject({ initialCapacityBytes: 1024 * 1024, splitThreshold: 0.7, mergeWriteRate: 3 });
    const audit = await listSettingAudit(db, { limit: 10, key: LIFECYCLE_SETTINGS_KEY });
    expect(audit).toHaveLength(2);
    expect(audit[1]).toMatchObject({ actorEmail: "op@example.com", oldValue: null });
  });

  it("moves a job to its next phase only together with its step's control write", async () => {
    const hosts = new HostPool(db, { poolSize: 2 });
    try {
      await ensureHost();
      const stream = await createStream(db, hosts, { name: "advance-check", shardCount: 1 });
      const [src] = await loadRoutes(db, stream.id);
      const { job } = await createLifecycleJob(db, {
        kind: "split",
        streamId: stream.id,
        hostId: src!.hostId,
        sourceIds: [src!.id],
        childIds: ["adv-l", "adv-r"],
        splitAt: 2 ** 31,
        reason: "test",
      });
      const attempt = await startLifecycleAttempt(db, job.id);
      expect(attempt).toMatchObject({ fromPlanned: true, job: { phase: "locked", attempts: 1 } });
      expect(await startLifecycleAttempt(db, job.id)).toMatchObject({ fromPlanned: false, job: { phase: "locked", attempts: 2 } });
      const phase = async () => (await db.lifecycleJob.findUniqueOrThrow({ where: { id: job.id } })).phase;
      const isConflict = (e: unknown) => isShardcastError(e) && e.code === "conflict";

      // The sources changed but the job is elsewhere: the write stands, the job does not move.
      const epochs = new Map([[src!.id, src!.epoch + 1]]);
      await expect(markShardletsChanging(db, "splitting", epochs, { jobId: job.id, from: "fenced", to: "moving" })).rejects.toSatisfy(isConflict);
      expect(await phase()).toBe("locked");
      await db.lifecycleJob.update({ where: { id: job.id }, data: { phase: "fenced" } });
      expect(await markShardletsChanging(db, "splitting", epochs, { jobId: job.id, from: "fenced", to: "moving" })).toBe(1);
      expect(await phase()).toBe("moving");
      // A source that is not in the expected state: nothing matches, the job stays.
      await db.lifecycleJob.update({ where: { id: job.id }, data: { phase: "fenced" } });
      expect(await markShardletsChanging(db, "merging", epochs, { jobId: job.id, from: "fenced", to: "moving" })).toBe(0);
      expect(await phase()).toBe("fenced");
      await db.lifecycleJob.update({ where: { id: job.id }, data: { phase: "moving" } });

      const child = (id: string, lo: number, hi: number) => ({
        id,
        streamId: stream.id,
        shardId: src!.shardId,
        lo,
        hi,
        hostId: src!.hostId,
        capacityBytes: 1024,
        epoch: 1,
        parentId: src!.id,
        sizeBytes: 10,
        eventCount: 1,
        writeRate: 0.5,
      });
      const children = [child("adv-l", 0, 2 ** 31), child("adv-r", 2 ** 31, 2 ** 32)];
      // A switch before the children exist changes nothing.
      await expect(switchShardlets(db, { activate: ["adv-l", "adv-r"], retire: [src!.id] }, { jobId: job.id, from: "switching", to: "draining" })).rejects.toThrow(
        /missing/,
      );
      expect(await createPendingShardlets(db, children, { jobId: job.id, from: "moving", to: "switching", rowsMoved: 7 })).toBe(2);
      expect(await db.lifecycleJob.findUniqueOrThrow({ where: { id: job.id } })).toMatchObject({ phase: "switching", rowsMoved: 7n });
      // Repeated (a resumed step): the rows are kept, the job has moved on already.
      await expect(createPendingShardlets(db, children, { jobId: job.id, from: "moving", to: "switching" })).rejects.toSatisfy(isConflict);
      expect(await createPendingShardlets(db, children)).toBe(0);
      expect(await db.shardlet.findUniqueOrThrow({ where: { id: "adv-r" } })).toMatchObject({ state: "pending", sizeBytes: 10n, eventCount: 1n, writeRate: 0.5 });

      await switchShardlets(db, { activate: ["adv-l", "adv-r"], retire: [src!.id] }, { jobId: job.id, from: "switching", to: "draining" });
      expect(await phase()).toBe("draining");
      expect((await loadRoutes(db, stream.id)).map((r) => r.id).sort()).toEqual(["adv-l", "adv-r"]);
      expect((await db.shardlet.findUniqueOrThrow({ where: { id: src!.id } })).state).toBe("retired");
      // Idempotent without an advance; with one from a phase the job left, a conflict.
      await switchShardlets(db, { activate: ["adv-l", "adv-r"], retire: [src!.id] });
      await expect(switchShardlets(db, { activate: ["adv-l", "adv-r"], retire: [src!.id] }, { jobId: job.id, from: "switching", to: "draining" })).rejects.toSatisfy(
        isConflict,
      );
    } finally {
      await hosts.closeAll();
    }
  });

  it("creates a hand-off's successor with the sources' mark, and only when every source matched", async () => {
    const hosts = new HostPool(db, { poolSize: 2 });
    try {
      await ensureHost();
      const stream = await createStream(db, hosts, { name: "successor-check", shardCount: 1 });
      const [src] = await loadRoutes(db, stream.id);
      const { job } = await createLifecycleJob(db, {
        kind: "handoff",
        streamId: stream.id,
        hostId: src!.hostId,
        destHostId: "elsewhere",
        sourceIds: [src!.id],
        childIds: ["succ-1"],
        reason: "test",
      });
      await db.lifecycleJob.update({ where: { id: job.id }, data: { phase: "fenced" } });
      const successor = { id: "succ-1", streamId: stream.id, shardId: src!.shardId, lo: src!.lo, hi: src!.hi, hostId: src!.hostId, capacityBytes: 1024, epoch: 1, parentId: src!.id, writeRate: 2 };
      const epochs = new Map([[src!.id, src!.epoch + 1]]);
      const advance = { jobId: job.id, from: "fenced" as const, to: "switching" as const };
      const row = () => db.shardlet.findUnique({ where: { id: "succ-1" } });
      // The source is past the epoch the job would raise it to: no successor, the job stays.
      expect(await markShardletsChanging(db, "migrating", new Map([[src!.id, src!.epoch - 1]]), advance, [successor])).toBe(0);
      expect(await row()).toBeNull();
      expect((await db.lifecycleJob.findUniqueOrThrow({ where: { id: job.id } })).phase).toBe("fenced");
      expect(await markShardletsChanging(db, "migrating", epochs, advance, [successor])).toBe(1);
      expect(await row()).toMatchObject({ state: "pending", lo: BigInt(src!.lo), hi: BigInt(src!.hi), epoch: 1, parentId: src!.id, writeRate: 2 });
      expect(await db.shardlet.findUniqueOrThrow({ where: { id: src!.id } })).toMatchObject({ state: "migrating", epoch: src!.epoch + 1 });
      expect((await db.lifecycleJob.findUniqueOrThrow({ where: { id: job.id } })).phase).toBe("switching");
      // Repeated (a resumed step): the row is kept, the job has moved on already.
      await expect(markShardletsChanging(db, "migrating", epochs, advance, [successor])).rejects.toThrow(/moved past fenced/);
      expect(await markShardletsChanging(db, "migrating", epochs, undefined, [successor])).toBe(1);
      expect(await db.shardlet.count({ where: { id: "succ-1" } })).toBe(1);
    } finally {
      await hosts.closeAll();
    }
  });

  it("keeps a stream's pending shardlets out of its routes", async () => {
    const hosts = new HostPool(db, { poolSize: 2 });
    try {
      await ensureHost();
      const stream = await createStream(db, hosts, { name: "pending-check", shardCount: 1 });
      const [route] = await loadRoutes(db, stream.id);
      await db.shardlet.create({
        data: { streamId: stream.id, shardId: route!.shardId, lo: 0n, hi: 10n, hostId: route!.hostId, state: "pending", capacityBytes: 1n },
      });
      expect(await loadRoutes(db, stream.id)).toHaveLength(1);
    } finally {
      await hosts.closeAll();
    }
  });
});
