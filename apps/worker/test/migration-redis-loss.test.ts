import { listMigrationEvents } from "@shardcast/db";
import { waitFor } from "@shardcast/db/testing";
import { createRedis, sequenceKeys } from "@shardcast/runtime";
import { ownRedis, type OwnRedis } from "@shardcast/runtime/testing/own-redis";
import type { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runMigrationScheduler } from "../src/processors/migration-scheduler.ts";
import { runOverflowDrain } from "../src/processors/overflow-drain.ts";
import { startWorker, type RunningWorker } from "../src/worker.ts";
import { exactlyOnceProblems } from "./lifecycle-harness.ts";
import { pairChecksum, startMigrationHarness, type MigrationHarness } from "./migration-harness.ts";

/**
 * A migration under way when Redis loses everything (a failover to a replica that had not synced,
 * a restart without persistence): the sequence counters, the op-locks, the job queue. The control
 * database keeps the migration's phase and copy cursor, so the migration scheduler hands it to a
 * new run, which resumes the copy; the run that lost its lock stops. Producers write throughout
 * and every event they were acknowledged must end up on the destination exactly once, with a
 * position of its own.
 */

// A Redis of this file's own: the tests empty it and restart it, which the shared one must never be.
let server: OwnRedis;
let t: MigrationHarness;
let connection: Redis;
let running: RunningWorker;

beforeAll(async () => {
  server = await ownRedis("worker-redis-loss");
  // A short lock lifetime: the run whose run lock vanished learns it at its next extension (1 s).
  t = await startMigrationHarness({ redisUrl: server.url, lockTtlMs: 3_000 });
  connection = createRedis(server.url, { forBullmq: true });
  // The second test stops the server on purpose: the clients' reconnect attempts are expected.
  connection.on("error", () => undefined);
  t.h.redis.on("error", () => undefined);
  // Concurrency 2: the scheduler's new run may start while the run that lost its lock still copies.
  running = await startWorker(t.h.deps, {
    connection,
    prefix: t.h.prefix,
    concurrency: 2,
    schedule: false,
    accountingEveryMs: 60_000,
    healthEveryMs: 60_000,
    hintDebounceMs: 0,
    shutdownGraceMs: 5_000,
  });
}, 60_000);

afterAll(async () => {
  await running?.close();
  connection?.disconnect();
  await t?.close();
  await server?.close();
});

/**
 * The `migration.scheduler` job's periodic run, on a short period: its schedule being declared
 * again after Redis lost it is schedules.test.ts's subject, what it does then is this file's.
 */
function schedulerRunning(everyMs: number): { stop(): Promise<void> } {
  let stopped = false;
  const loop = (async () => {
    while (!stopped) {
      // Redis down for a moment: the next period tries again, as the scheduled job would.
      await runMigrationScheduler(t.h.deps, { queue: running.queue }).catch(() => undefined);
      await new Promise((resolve) => setTimeout(resolve, everyMs));
    }
  })();
  return {
    stop: async () => {
      stopped = true;
      await loop;
    },
  };
}

/**
 * Producers writing batches of 20 (half of the keys in `range`) until stopped, each at most one
 * batch per `pauseMs`: a rate, so that the copy is not starved on a small machine. A batch is
 * resent until acknowledged (503s while Redis is away), as the harness's producers do.
 */
function producePaced(range: { lo: number; hi: number }, pauseMs: number): { stop(): Promise<number> } {
  let stopped = false;
  let produced = 0;
  const loops = Array.from({ length: 2 }, async () => {
    while (!stopped) {
      const events = Array.from({ length: 20 }, (_, j) => ({ key: j % 2 === 0 ? t.h.keyIn(range.lo, range.hi) : t.h.keyIn(0, 2 ** 32), id: t.h.nextId() }));
      for (const e of events) t.keys.set(e.id, e.key);
      await t.h.produce(events);
      produced += events.length;
      await new Promise((resolve) => setTimeout(resolve, pauseMs));
    }
  });
  return {
    stop: async () => {
      stopped = true;
      await Promise.all(loops);
      return produced;
    },
  };
}

async function target(index: number) {
  const s = (await t.h.db.shardlet.findMany({ where: { streamId: t.h.streamId, state: "active" }, orderBy: { lo: "asc" } }))[index]!;
  return { id: s.id, range: { lo: Number(s.lo), hi: Number(s.hi) }, from: s.hostId, to: t.h.hostIds.find((h) => h !== s.hostId)! };
}

async function situation(id: string): Promise<string> {
  const m = await t.migration(id);
  const log = (await listMigrationEvents(t.h.db, id)).slice(-10).map((e) => `  ${e.level} ${e.phase} ${e.message}`);
  return [`migration: phase ${m.phase}, ${m.rowsCopied}/${m.rowsTotal} rows copied, ${m.attempts} attempts, error ${m.error ?? "-"}`, ...log].join("\n");
}

/**
 * Moves shardlet `index` to the other host under two producers; once the copy is past `lossAt`
 * rows, `lose()` takes Redis's data away. Returns what the checks need.
 */
async function moveThroughLoss(index: number, lossAt: number, lose: () => Promise<void>) {
  await t.settings({ chunkRows: 100, verifyRangeRows: 200, rowsPerSecond: 500, switchTailRows: 200, cleanupGraceMs: 200 });
  const s = await target(index);
  await t.write(s.range, 2_500, { inRangeShare: 1, batch: 100 });
  const producing = producePaced(s.range, 25);
  const scheduler = schedulerRunning(250);
  try {
    const id = await t.approve(s.id, s.to);
    const copying = await waitFor(
      `the copy past ${lossAt} rows`,
      async () => {
        const m = await t.migration(id);
        return m.phase === "copying" && m.rowsCopied >= lossAt ? m : null;
      },
      30_000,
      { intervalMs: 0, explain: () => situation(id) },
    );
    expect(copying.rowsCopied).toBeLessThan(copying.rowsTotal);
    const ackedBefore = new Set(t.h.acked.keys());
    const highestBefore = Math.max(...[...t.h.acked.values()].map((a) => a.seq));
    const lossStarted = new Date();
    await lose();

    const done = await waitFor(
      "the migration to finish",
      async () => {
        const m = await t.migration(id);
        return m.phase === "done" || m.phase === "failed" || m.phase === "cancelled" ? m : null;
      },
      40_000,
      { intervalMs: 50, explain: () => situation(id) },
    );
    expect(done.phase, await situation(id)).toBe("done");
    // Producers go on a little on the new route before they stop.
    const after = t.h.acked.size;
    await waitFor("writes after the switch", () => t.h.acked.size >= after + 100, 10_000);
    const produced = await producing.stop();
    expect(produced).toBeGreaterThan(0);
    const newAcks = [...t.h.acked.keys()].filter((eventId) => !ackedBefore.has(eventId)).length;
    return { s, id, lossStarted, highestBefore, newAcks };
  } finally {
    await scheduler.stop();
    await producing.stop();
  }
}

/** The checks that matter after the move: counts, checksums and positions against the acknowledgements. */
async function expectEveryAckedEventOnceOnTheDestination(r: Awaited<ReturnType<typeof moveThroughLoss>>) {
  const { s, id } = r;
  expect(r.newAcks, "events acknowledged after Redis lost its data").toBeGreaterThan(0);

  // The run that lost its lock stopped; one copy start, resumed by a later run from its cursor.
  const m = await t.migration(id);
  expect(m.attempts).toBeGreaterThanOrEqual(2);
  const log = await listMigrationEvents(t.h.db, id);
  expect(log.filter((e) => e.message.startsWith("Copy started"))).toHaveLength(1);
  expect(
    log.some((e) => e.level === "error" && e.at >= new Date(r.lossStarted.getTime() - 500) && e.message.startsWith("Run stopped:") && e.message.includes("lost")),
    await situation(id),
  ).toBe(true);

  // Every acknowledged event of the range on the destination exactly once (count and checksum),
  // none left on the source, every row of the stream acknowledged and stored once in its owner.
  await runOverflowDrain(t.h.deps, { streamId: t.h.streamId });
  expect(await t.route(s.id)).toMatchObject({ hostId: s.to, shadowHostId: null });
  const expected = t.expected(s.range);
  expect(expected.rows).toBeGreaterThan(2_500);
  expect(await t.onHost(s.to, s.range)).toEqual(expected);
  expect((await t.onHost(s.from, s.range)).rows).toBe(0);
  expect(exactlyOnceProblems(await t.h.check())).toEqual([]);

  // Positions: one per acknowledged event, and none handed out twice across the loss.
  const acks = [...t.h.acked.values()];
  expect(new Set(acks.map((a) => a.seq)).size).toBe(acks.length);
  const counter = Number(await t.h.redis.get(sequenceKeys(t.h.prefix, t.h.streamId).counter));
  expect(counter, "the counter re-seeded above every number handed out before").toBeGreaterThan(r.highestBefore);

  // Reads by position return every acknowledged event once, at its position.
  const { byPosition } = await t.h.read();
  const seen = new Map<number, string | null>();
  for (const e of byPosition) {
    expect(seen.has(e.seq), `position ${e.seq} returned twice`).toBe(false);
    seen.set(e.seq, e.id);
  }
  const missing = acks.filter((a) => seen.get(a.seq) !== a.id).slice(0, 10);
  expect(missing).toEqual([]);
  expect(pairChecksum(byPosition.map((e) => ({ seq: e.seq, id: e.id ?? "" })))).toEqual(pairChecksum(acks));
}

describe("a migration under way when Redis loses its data", () => {
  it("finishes after a FLUSHALL mid-copy, every acknowledged event on the destination once", async () => {
    const r = await moveThroughLoss(0, 300, async () => {
      await t.h.redis.flushall();
    });
    await expectEveryAckedEventOnceOnTheDestination(r);
  }, 60_000);

  it("finishes after Redis restarts without persistence mid-copy; producers get 503 meanwhile and retry", async () => {
    let duringGap = 0;
    const r = await moveThroughLoss(3, 300, async () => {
      await server.stop();
      // A batch sent while Redis is away: refused as a whole, to be retried (nothing of it stored,
      // which the exactly-once check below confirms: its id is never acknowledged).
      const res = await fetch(`${t.h.edgeUrl}/v1/streams/${t.h.stream}/events`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${t.h.token}` },
        body: JSON.stringify({ events: [{ key: t.h.keyIn(0, 2 ** 32), id: `gap-${t.h.nextId()}`, type: "t", payload: {} }] }),
      });
      duringGap = res.status;
      await server.start();
    });
    expect(duringGap).toBe(503);
    await expectEveryAckedEventOnceOnTheDestination(r);
  }, 60_000);
});
