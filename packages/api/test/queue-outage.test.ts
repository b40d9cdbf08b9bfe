import { describe, expect, it } from "vitest";
import { listHosts, recordAnalyzerRun, replaceAnalyzerProposals } from "@shardcast/db";
import { createQueue, ENQUEUE_TIMEOUT_MS, type JobQueue } from "@shardcast/jobs";
import { createRedis } from "@shardcast/runtime";
import { REDIS_URL, type Harness } from "./harness.ts";
import { useMigrationsConsole, type MigrationsConsole } from "./migrations-harness.ts";

/**
 * Console actions when the jobs' Redis is down: each answers 503 within the enqueue's bound, and
 * an action whose change was already committed says so and has its operations-log entry.
 */
describe("console actions while the job queue is unavailable", () => {
  let h: Harness;
  let operator: string;
  let admin: string;
  let shardlets: MigrationsConsole["shardlets"];
  let propose: MigrationsConsole["propose"];

  useMigrationsConsole((c) => ({ h, operator, admin, shardlets, propose } = c));

  /** A real queue whose Redis connection was closed: an add fails at once, as after a lost connection. */
  async function withClosedQueue(run: (queue: JobQueue) => Promise<void>): Promise<void> {
    const gone = createRedis(REDIS_URL, { forBullmq: true });
    const queue = createQueue(gone, { prefix: `${h.prefix}-gone` });
    await queue.waitUntilReady();
    gone.disconnect();
    try {
      await run(queue);
    } finally {
      await queue.close().catch(() => undefined);
    }
  }

  /** A queue on a Redis nobody answers at: an add waits for a connection that never comes. */
  async function withUnreachableQueue(run: (queue: JobQueue) => Promise<void>): Promise<void> {
    const nowhere = createRedis("redis://127.0.0.1:1", { forBullmq: true });
    const queue = createQueue(nowhere, { prefix: `${h.prefix}-nowhere` });
    // Its failed connection attempts are expected here.
    queue.on("error", () => undefined);
    try {
      await run(queue);
    } finally {
      nowhere.disconnect();
      await queue.close().catch(() => undefined);
    }
  }

  async function operations(kind: string) {
    return h.db.operation.findMany({ where: { kind } });
  }

  it("drains a host, audits it and says the planner picks it up, when Redis is gone", async () => {
    const hostId = h.hostIds[0]!;
    await withClosedQueue(async (queue) => {
      const res = await h.call("mutation", "migrations.drainHost", { hostId }, admin, { queue });
      expect(res.status).toBe(503);
      expect(res.error?.data.scCode).toBe("unavailable");
      expect(res.error?.message).toMatch(/^h1 is draining\. The job queue is unavailable, so the rebalancer picks the drain up on its next periodic run/);
    });
    expect((await listHosts(h.db)).find((x) => x.id === hostId)!.status).toBe("draining");
    expect(await operations("host.drain")).toEqual([expect.objectContaining({ hostId, status: "succeeded" })]);
    await h.db.operation.deleteMany({ where: { kind: "host.drain" } });
  });

  it("answers a drain within the bound when Redis does not answer, with the drain audited", async () => {
    const hostId = h.hostIds[1]!;
    await withUnreachableQueue(async (queue) => {
      const started = Date.now();
      const res = await h.call("mutation", "migrations.drainHost", { hostId }, admin, { queue });
      expect(Date.now() - started).toBeLessThan(ENQUEUE_TIMEOUT_MS + 3_000);
      expect(res.status).toBe(503);
      expect(res.error?.message).toMatch(/^h2 is draining\./);
    });
    expect((await listHosts(h.db)).find((x) => x.id === hostId)!.status).toBe("draining");
    expect(await operations("host.drain")).toEqual([expect.objectContaining({ hostId })]);
    await h.db.operation.deleteMany({ where: { kind: "host.drain" } });
  });

  it("approves an analyzer drain, audits it and says the planner picks it up, when Redis is gone", async () => {
    const now = Date.now();
    const run = await recordAnalyzerRun(h.db, { at: new Date(now), horizonSec: 3600, bucketSec: 60, modelVersionId: null, ranking: [], forecastStartMs: now, forecasts: [] });
    const hostId = h.hostIds[2]!;
    await replaceAnalyzerProposals(
      h.db,
      run.id,
      [
        {
          kind: "drain_host",
          sourceHostId: hostId,
          reason: "forecast load stays low for 6 h",
          details: { hostId, bytes: 4096, drainSec: 40, troughEndsMs: now + 6 * 3_600_000, savingSec: 20_000, observed: 100, hostsNow: 3 },
        },
      ],
      { streamIds: null },
    );
    const proposal = await h.db.analyzerProposal.findFirstOrThrow({ where: { kind: "drain_host", status: "open" } });
    await withClosedQueue(async (queue) => {
      const res = await h.call("mutation", "analyzer.approveDrainHost", { proposalId: proposal.id }, operator, { queue });
      expect(res.status).toBe(503);
      expect(res.error?.message).toMatch(/^Approved: h3 is draining\. The job queue is unavailable, so the rebalancer picks the drain up on its next periodic run/);
    });
    expect((await listHosts(h.db)).find((x) => x.id === hostId)!.status).toBe("draining");
    expect(await operations("analyzer.drain_host")).toEqual([expect.objectContaining({ hostId, details: { proposalId: proposal.id } })]);
  });

  it("approves a migration, audits it and says the scheduler starts it, when Redis is gone", async () => {
    const id = await propose(0);
    await withClosedQueue(async (queue) => {
      const res = await h.call("mutation", "migrations.approve", { id }, operator, { queue });
      expect(res.status).toBe(503);
      expect(res.error?.message).toMatch(/^Approved\. The job queue is unavailable, so the migration scheduler starts it on its next run/);
    });
    expect((await h.db.migration.findUniqueOrThrow({ where: { id } })).phase).toBe("approved");
    expect(await operations("migration.approve")).toEqual([expect.objectContaining({ details: { migrationId: id, phase: "approved" } })]);
  });

  it("stores a manual move, audits it and says the scheduler starts it, when Redis is gone", async () => {
    const s = shardlets[1]!;
    const dest = h.hostIds.find((id) => id !== s.hostId)!;
    await withClosedQueue(async (queue) => {
      const res = await h.call("mutation", "migrations.moveShardlet", { shardletId: s.id, destHostId: dest }, operator, { queue });
      expect(res.status).toBe(503);
      expect(res.error?.message).toMatch(/^The move of orders .* is approved\. The job queue is unavailable, so the migration scheduler starts it on its next run/);
    });
    const m = await h.db.migration.findFirstOrThrow({ where: { shardletId: s.id } });
    expect(m).toMatchObject({ phase: "approved", origin: "manual", destHostId: dest, mode: "handoff" });
    expect(await operations("migration.move")).toEqual([expect.objectContaining({ shardletId: s.id, details: { migrationId: m.id, destHostId: dest, mode: "handoff" } })]);
  });

  it("answers 503 and records nothing for actions that only queue work, when Redis is gone", async () => {
    const [left, right] = [shardlets[3]!, shardlets[4]!];
    // Neighbours merge only on one host.
    await h.db.shardlet.update({ where: { id: right.id }, data: { hostId: left.hostId } });
    const actions: Array<[string, unknown]> = [
      ["shardmap.split", { shardletId: left.id }],
      ["shardmap.merge", { leftId: left.id, rightId: right.id }],
      ["migrations.planNow", undefined],
      ["analyzer.runNow", {}],
      ["models.retrain", {}],
      ["prealloc.train", {}],
      ["profiler.runNow", undefined],
    ];
    const before = await h.db.operation.count();
    await withClosedQueue(async (queue) => {
      for (const [path, input] of actions) {
        const res = await h.call("mutation", path, input, operator, { queue });
        expect(res.status, path).toBe(503);
        expect(res.error?.data.scCode, path).toBe("unavailable");
        expect(res.error?.message, path).toMatch(/^the job queue is unavailable \(Connection is closed\.\); job "[a-z.]+" was not queued$/);
      }
    });
    expect(await h.db.operation.count()).toBe(before);
  });

  it("answers a split within the bound when Redis does not answer", async () => {
    await withUnreachableQueue(async (queue) => {
      const started = Date.now();
      const res = await h.call("mutation", "shardmap.split", { shardletId: shardlets[2]!.id }, operator, { queue });
      expect(Date.now() - started).toBeLessThan(ENQUEUE_TIMEOUT_MS + 3_000);
      expect(res.status).toBe(503);
      expect(res.retryAfter).toBe(String(ENQUEUE_TIMEOUT_MS / 1000));
      expect(res.error?.message).toBe(`the job queue did not answer within ${ENQUEUE_TIMEOUT_MS / 1000} s; job "shardlet.split" may not be queued`);
    });
    expect(await operations("shardlet.split.request")).toEqual([]);
  });
});
