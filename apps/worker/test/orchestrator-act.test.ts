import { randomBytes } from "node:crypto";
import { listOperations, loadRoutes, replaceOrchestratorProposals } from "@shardcast/db";
import { createQueue, type JobQueue } from "@shardcast/jobs";
import { createLogger } from "@shardcast/runtime/logger";
import { testRedisUrl } from "@shardcast/runtime/testing/env";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { actOnOrchestratorProposals } from "../src/orchestrator/act.ts";
import { startMigrationHarness, type MigrationHarness } from "./migration-harness.ts";

/**
 * The orchestrator in act mode (`autoApply`) against real hosts, Redis and an edge: its move
 * becomes a migration approved for the stream's migration window, which the mover finishes inside
 * it (a hand-off, no row copied); and a copy that at its budget cannot finish before its window
 * closes is stopped early, its destination cleaned, instead of copying until the close.
 */

let t: MigrationHarness;
let connection: Redis;
let queue: JobQueue;
const log = createLogger({ test: "orchestrator-act" }, { level: "error" });

beforeAll(async () => {
  t = await startMigrationHarness({ hosts: 3, shardCount: 1, shardletsPerShard: 2 });
  connection = new Redis(testRedisUrl(), { maxRetriesPerRequest: null });
  queue = createQueue(connection, { prefix: `sc_test_orch_act_${randomBytes(4).toString("hex")}` });
  // 200 rows/s: 2,000 rows need ten seconds.
  await t.settings({ chunkRows: 100, rowsPerSecond: 200, cleanupGraceMs: 100 });
});

afterAll(async () => {
  await queue?.obliterate({ force: true }).catch(() => undefined);
  await queue?.close();
  connection?.disconnect();
  await t?.close();
});

describe("the orchestrator in act mode", () => {
  it("approves its move for the migration window, and the move finishes inside it", async () => {
    const [s] = await loadRoutes(t.h.db, t.h.streamId);
    const dest = t.h.hostIds.find((id) => id !== s!.hostId)!;
    await t.write({ lo: s!.lo, hi: s!.hi }, 300);
    await replaceOrchestratorProposals(
      t.h.db,
      [
        {
          kind: "migrate",
          streamId: t.h.streamId,
          shardletId: s!.id,
          sourceHostId: s!.hostId,
          destHostId: dest,
          expectedBenefit: 0.6,
          reason: "health 0.40 below 0.5: latency; a healthier neighbour's host has room",
          details: { bytesToMove: 0, shardletEpoch: s!.epoch, expectedLoad: {}, feasibility: {} },
        },
      ],
      { streamIds: [t.h.streamId] },
    );
    const now = Date.now();
    const acted = await actOnOrchestratorProposals(t.h.db, log, { queue, nowMs: now, windowSecOf: () => 120 });
    expect(acted).toMatchObject({ moves: 1, splits: 0, skipped: [] });
    const open = await t.h.db.migration.findFirstOrThrow({ where: { shardletId: s!.id }, orderBy: { createdAt: "desc" } });
    expect(open).toMatchObject({ phase: "scheduled", mode: "handoff", origin: "orchestrator", decidedBy: "orchestrator" });
    expect(open.windowEnd!.getTime()).toBe(now + 120_000);

    const results = await t.runToEnd(open.id);
    expect(results.at(-1)).toMatchObject({ status: "done" });
    const m = await t.migration(open.id);
    expect(m).toMatchObject({ phase: "done", rowsCopied: 0 });
    expect(m.finishedAt!.getTime()).toBeLessThan(open.windowEnd!.getTime());
    const routed = (await loadRoutes(t.h.db, t.h.streamId)).find((r) => r.lo === s!.lo && r.hi === s!.hi);
    expect(routed?.hostId).toBe(dest);
    const ops = await listOperations(t.h.db, { kind: "orchestrator.migrate", limit: 5 });
    expect(ops[0]).toMatchObject({ actor: "orchestrator", shardletId: s!.id, status: "succeeded" });
  });

  it("stops a copy that at its budget would run past its window, long before the window closes", async () => {
    const routes = await loadRoutes(t.h.db, t.h.streamId);
    const s = routes.find((r) => r.state === "active" && r.lo !== routes[0]!.lo) ?? routes.at(-1)!;
    const dest = t.h.hostIds.find((id) => id !== s.hostId)!;
    await t.write({ lo: s.lo, hi: s.hi }, 2_000);
    const windowEnd = new Date(Date.now() + 6_000);
    const id = await t.approve(s.id, dest, { mode: "copy", windowStart: new Date(Date.now() - 1_000), windowEnd });
    const results = await t.runToEnd(id);
    expect(results.at(-1)).toMatchObject({ status: "failed" });
    const m = await t.migration(id);
    expect(m.phase).toBe("failed");
    expect(m.error).toMatch(/stopped before the migration window closes: at \d+ rows\/s the \d+ rows left need about \d+ s and the window has \d+ s left/);
    // Stopped on the projection, not by the close; nothing of the range stays on the destination.
    expect(m.finishedAt!.getTime()).toBeLessThan(windowEnd.getTime() - 2_000);
    expect((await t.onHost(dest, { lo: s.lo, hi: s.hi })).rows).toBe(0);
  });
});
