import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  advanceLifecycleJob,
  beginMigrationAttempt,
  createLifecycleJob,
  createMigrationProposal,
  endMigration,
  finishLifecycleJob,
  getLifecycleJob,
  listMigrationEvents,
  listSealedShardlets,
  loadMigrationRun,
  loadRoutes,
  startLifecycleAttempt,
  switchShardlets,
  type ControlDb,
} from "../src/index.ts";
import { sql } from "../src/sql.ts";
import { createTestCluster, type TestCluster } from "../src/testing.ts";

// A zone far from UTC: the plain-SQL writes and reads must keep the stored times in UTC, as Prisma does.
process.env.TZ = "America/Los_Angeles";

let cluster: TestCluster;
let db: ControlDb;
beforeAll(async () => {
  cluster = await createTestCluster({ hosts: 2, stream: "orders", shardCount: 1, shardletsPerShard: 2 });
  db = cluster.db;
});
afterAll(() => cluster?.drop());

const near = (at: Date | null | undefined, ms = 60_000) => at !== null && at !== undefined && Math.abs(at.getTime() - Date.now()) < ms;

describe("the sql tag", () => {
  it("numbers the parameters in order and sends dates as UTC without a zone", () => {
    const at = new Date(Date.UTC(2026, 0, 2, 3, 4, 5, 678));
    expect(sql`SELECT ${1} AS a, ${"x"} AS b WHERE t = ${at}`).toEqual({ text: "SELECT $1 AS a, $2 AS b WHERE t = $3", values: [1, "x", "2026-01-02T03:04:05.678"] });
  });

  it("splices a statement built by the tag into another, its parameters renumbered", () => {
    const part = sql`SELECT ${"p"}, ${[1, 2]}::int[], ${"q"}`;
    expect(sql`WITH a AS (${part}) SELECT ${"x"} FROM a WHERE b = ${"y"}`).toEqual({
      text: "WITH a AS (SELECT $1, $2::int[], $3) SELECT $4 FROM a WHERE b = $5",
      values: ["p", [1, 2], "q", "x", "y"],
    });
    expect(sql`SELECT ${"x"} UNION ${part} UNION ${part}`.text).toBe("SELECT $1 UNION SELECT $2, $3::int[], $4 UNION SELECT $5, $6::int[], $7");
  });
});

describe("a lifecycle job and a migration in plain SQL", () => {
  it("stores and reads what Prisma reads, times in UTC, through the job's whole life", async () => {
    const [left, right] = await loadRoutes(db, cluster.streamId);
    const { job, created } = await createLifecycleJob(db, {
      kind: "handoff",
      streamId: cluster.streamId,
      hostId: left!.hostId,
      destHostId: cluster.hostIds.find((h) => h !== left!.hostId)!,
      sourceIds: [left!.id],
      childIds: ["child-1"],
      reason: "test",
      actor: "tester",
    });
    expect(created).toBe(true);
    const row = await db.lifecycleJob.findUniqueOrThrow({ where: { id: job.id } });
    expect(job).toMatchObject({ kind: "handoff", phase: "planned", sourceIds: [left!.id], childIds: ["child-1"], splitAt: null, attempts: 0, rowsMoved: 0, finishedAt: null });
    expect(job.createdAt.getTime()).toBe(row.createdAt.getTime());
    expect(near(job.createdAt)).toBe(true);
    // A second planner for the same source gets the unfinished job back; inside a transaction too.
    const again = await db.$transaction((tx) => createLifecycleJob(tx as ControlDb, { ...job, destHostId: job.destHostId, splitAt: null }));
    expect(again).toMatchObject({ created: false, job: { id: job.id } });

    const first = await startLifecycleAttempt(db, job.id);
    expect(first).toMatchObject({ fromPlanned: true, job: { phase: "locked", attempts: 1 } });
    const second = await startLifecycleAttempt(db, job.id);
    expect(second).toMatchObject({ fromPlanned: false, job: { phase: "locked", attempts: 2 } });
    expect(await advanceLifecycleJob(db, job.id, "planned", "fenced")).toBe(false);
    expect(await advanceLifecycleJob(db, job.id, "locked", "fenced", { rowsMoved: 12 })).toBe(true);
    expect(await getLifecycleJob(db, job.id)).toMatchObject({ phase: "fenced", rowsMoved: 12 });

    const op = { kind: "shardlet.handoff", status: "succeeded" as const, streamId: cluster.streamId, shardletId: left!.id, message: "done", details: { n: 1 } };
    expect(await finishLifecycleJob(db, job.id, op)).toBe(true);
    expect(await finishLifecycleJob(db, job.id, op)).toBe(false);
    const done = await getLifecycleJob(db, job.id);
    expect(done?.phase).toBe("done");
    expect(done!.finishedAt!.getTime()).toBe((await db.lifecycleJob.findUniqueOrThrow({ where: { id: job.id } })).finishedAt!.getTime());
    const ops = await db.operation.findMany({ where: { kind: "shardlet.handoff", shardletId: left!.id } });
    expect(ops).toHaveLength(1);
    expect(ops[0]).toMatchObject({ status: "succeeded", message: "done", details: { n: 1 } });
    expect(near(ops[0]!.finishedAt) && near(ops[0]!.startedAt)).toBe(true);

    // A sealed shardlet's seal time reads back as written.
    const at = new Date(Date.UTC(2026, 5, 1, 12, 0, 0, 250));
    await switchShardlets(db, { activate: [], retire: [], seal: [right!.id], at });
    const sealed = (await listSealedShardlets(db, { streamId: cluster.streamId })).find((s) => s.id === right!.id);
    expect(sealed?.sealedAt.getTime()).toBe(at.getTime());
    expect((await db.shardlet.findUniqueOrThrow({ where: { id: right!.id } })).sealedAt?.getTime()).toBe(at.getTime());
  });

  it("ends a migration with its log line and operation in one statement, once", async () => {
    const routes = await loadRoutes(db, cluster.streamId);
    const s = routes[0]!;
    const { id } = await createMigrationProposal(db, {
      streamId: cluster.streamId,
      shardletId: s.id,
      sourceHostId: s.hostId,
      destHostId: cluster.hostIds.find((h) => h !== s.hostId)!,
      origin: "manual",
      reason: "test",
      expectedBenefit: 0,
      expectedLoad: null,
      feasibility: null,
      bytesToMove: 0,
      shardletEpoch: s.epoch,
      phase: "approved",
      mode: "handoff",
    });
    const m = await beginMigrationAttempt(db, id);
    const row = await db.migration.findUniqueOrThrow({ where: { id } });
    expect(m).toMatchObject({ id, phase: "approved", mode: "handoff", attempts: row.attempts, rowsCopied: 0, copyTarget: null, startedAt: null });
    expect(m.createdAt.getTime()).toBe(row.createdAt.getTime());
    expect(await loadMigrationRun(db, id)).toEqual(m);

    const op = { kind: "shardlet.migrate", status: "failed" as const, message: "gave up", shardletId: s.id };
    expect(await endMigration(db, id, "approved", "failed", { message: "gave up", level: "error", details: { why: "test" } }, op)).toBe(true);
    expect(await endMigration(db, id, "approved", "failed", { message: "gave up" }, op)).toBe(false);
    const ended = await loadMigrationRun(db, id);
    expect(ended).toMatchObject({ phase: "failed", error: "gave up", cancelRequested: false });
    expect(near(ended?.finishedAt)).toBe(true);
    const events = await listMigrationEvents(db, id);
    expect(events.at(-1)).toMatchObject({ phase: "failed", level: "error", message: "gave up", details: { why: "test" } });
    expect(near(events.at(-1)?.at)).toBe(true);
    expect(await db.operation.count({ where: { kind: "shardlet.migrate", shardletId: s.id } })).toBe(1);
  });
});
