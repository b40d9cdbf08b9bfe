import type { MigrationPhase } from "@shardcast/core";
import { listMigrationEvents } from "@shardcast/db";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { archiveRange } from "../src/placement/archive.ts";
import { runOverflowDrain } from "../src/processors/overflow-drain.ts";
import { exactlyOnceProblems } from "./lifecycle-harness.ts";
import { startMigrationHarness, type MigrationHarness } from "./migration-harness.ts";

/**
 * A shardlet moves to the other host and back while producers write through a real edge and
 * readers read by position and by key. Reads are held inside every phase (the hooks wait for them)
 * so each phase is read from; every read must return exactly the events acknowledged before it.
 */

let t: MigrationHarness;
let current: string | null = null;

beforeAll(async () => {
  t = await startMigrationHarness();
  await t.settings({ chunkRows: 300, rowsPerSecond: 20_000, verifyRangeRows: 250, switchTailRows: 200, cleanupGraceMs: 300 });
});

afterAll(async () => {
  await t?.close();
});

const READ_PHASES: readonly MigrationPhase[] = ["copying", "verifying", "switching", "cleanup"];

async function move(shardletId: string, destHostId: string, tracked: string[]) {
  const route = await t.route(shardletId);
  const range = { lo: route.lo, hi: route.hi };
  const sourceHostId = route.hostId;
  const producing = t.produceWhile(range, { producers: 2, tracked });
  const reading = t.readWhile(() => current, tracked);
  // Reads are waited for inside every phase, and inside the switch's lock window.
  t.hooks.afterPhase = async (phase) => {
    if (READ_PHASES.includes(phase)) await reading.waitForReads(2);
  };
  t.hooks.afterStep = async (step) => {
    if (step === "switch.source-fenced" || step === "switch.mapped" || step === "copy.chunk") await reading.waitForReads(1);
  };
  await reading.waitForReads(1);
  const id = await t.approve(shardletId, destHostId);
  current = id;
  const results = await t.runToEnd(id);
  t.hooks.afterPhase = undefined;
  t.hooks.afterStep = undefined;
  // Keep writing and reading a little after the move, on the new route.
  await reading.waitForReads(2);
  const produced = await producing.stop();
  const reads = await reading.stop();
  current = null;
  return { id, range, sourceHostId, results, produced, reads, epoch: route.epoch };
}

async function expectMoved(r: Awaited<ReturnType<typeof move>>, destHostId: string) {
  const { id, range, sourceHostId, reads } = r;
  expect(r.results[r.results.length - 1]).toMatchObject({ status: "done", phase: "done" });
  const m = await t.migration(id);
  expect(m).toMatchObject({ phase: "done", cancelRequested: false });
  expect(m.finishedAt).not.toBeNull();
  expect(r.produced).toBeGreaterThan(0);

  // The mapping: on the destination, two epochs up (copy, switch), no shadow host any more.
  const route = await t.route(m.shardletId);
  expect(route).toMatchObject({ hostId: destHostId, epoch: r.epoch + 2, shadowHostId: null });
  expect(await (await t.h.driver(destHostId)).getFence(m.shardletId)).toMatchObject({ state: "active", epoch: r.epoch + 2 });
  expect(await (await t.h.driver(sourceHostId)).getFence(m.shardletId)).toBeNull();

  // Every acknowledged event of the range exactly once on the destination; none left on the source.
  await runOverflowDrain(t.h.deps, { streamId: t.h.streamId });
  const expected = t.expected(range);
  expect(expected.rows).toBeGreaterThan(500);
  expect(await t.onHost(destHostId, range)).toEqual(expected);
  expect((await t.onHost(sourceHostId, range)).rows).toBe(0);
  expect(exactlyOnceProblems(await t.h.check())).toEqual([]);

  // Reads in every phase returned exactly what had been acknowledged before them.
  expect(reads.problems).toEqual([]);
  for (const phase of READ_PHASES) expect(reads.byPhase[phase] ?? 0, `reads during ${phase}`).toBeGreaterThan(0);
  for (const [seq, eventId] of reads.returned) expect(t.h.acked.get(eventId)?.seq, `returned ${eventId}`).toBe(seq);

  // The event log tells the story, with the switch measured.
  const log = await listMigrationEvents(t.h.db, id);
  const phases = new Set(log.map((e) => e.phase));
  for (const p of ["copying", "verifying", "switching", "cleanup", "done"]) expect(phases.has(p), `log has ${p}`).toBe(true);
  const sw = log.find((e) => e.message.startsWith("Switch took"));
  expect((sw?.details as { switchMs?: number } | undefined)?.switchMs).toBeGreaterThanOrEqual(0);
  expect(log.some((e) => e.message.startsWith("Verify round"))).toBe(true);
  const op = await t.h.db.operation.findFirst({ where: { kind: "shardlet.migrate", status: "succeeded", shardletId: m.shardletId }, orderBy: { startedAt: "desc" } });
  expect((op?.details as { migrationId?: string } | null)?.migrationId).toBe(id);
}

describe("moving a shardlet between hosts", () => {
  it("moves it there and back under continuous ingest and concurrent reads", async () => {
    const routes = await t.h.deps.db.shardlet.findMany({ where: { streamId: t.h.streamId, state: "active" }, orderBy: { lo: "asc" } });
    const target = routes[0]!;
    const range = { lo: Number(target.lo), hi: Number(target.hi) };
    const [hostA, hostB] = [target.hostId, t.h.hostIds.find((id) => id !== target.hostId)!];
    await t.write(range, 1_500);
    const tracked = [t.h.keyIn(range.lo, range.hi), t.h.keyIn(range.lo, range.hi), t.h.keyIn(range.lo, range.hi)];
    const shadowBefore = t.h.edge.shadowWrites.written;

    const there = await move(target.id, hostB, tracked);
    await expectMoved(there, hostB);
    expect(t.h.edge.shadowWrites.written).toBeGreaterThan(shadowBefore);

    const back = await move(target.id, hostA, tracked);
    await expectMoved(back, hostA);
  }, 60_000);

  it("moves a shardlet whose old payloads are archived: the destination gets every payload whole and the source drops its batches", async () => {
    const routes = await t.h.deps.db.shardlet.findMany({ where: { streamId: t.h.streamId, state: "active" }, orderBy: { lo: "asc" } });
    const target = routes[routes.length - 1]!;
    const range = { lo: Number(target.lo), hi: Number(target.hi) };
    const [hostA, hostB] = [target.hostId, t.h.hostIds.find((id) => id !== target.hostId)!];
    await t.write(range, 1_000);
    const source = await t.h.driver(hostA);
    const payloadDigest = (d: typeof source, upTo: number) =>
      d.withClient(async (c) => {
        const r = await c.query<{ n: number; digest: string | null; missing: number }>(
          `SELECT count(*)::int AS n, md5(string_agg(coalesce(md5(payload::text)::uuid, payload_md5)::text, '' ORDER BY seq)) AS digest,
                  count(*) FILTER (WHERE payload IS NULL)::int AS missing
           FROM sc_events WHERE stream_id = $1 AND key_hash >= $2 AND key_hash < $3 AND seq <= $4`,
          [t.h.streamId, range.lo, range.hi, upTo],
        );
        return r.rows[0]!;
      });
    const upTo = Math.max(...[...t.h.acked.values()].map((a) => a.seq));
    const before = await payloadDigest(source, upTo);
    const archived = await archiveRange(source, { streamId: t.h.streamId, ...range }, { storedBefore: Date.now() + 60_000, maxChunks: 1_000 });
    expect(archived).toMatchObject({ complete: true });
    expect(archived.events).toBe(before.n);
    expect(await payloadDigest(source, upTo)).toEqual({ ...before, missing: before.n });

    // Six keys, so that none gets past the 1,000 events one read by key returns during the move.
    const tracked = Array.from({ length: 6 }, () => t.h.keyIn(range.lo, range.hi));
    const there = await move(target.id, hostB, tracked);
    await expectMoved(there, hostB);
    // Every payload arrived whole (none archived on the destination), the same as before the archive.
    expect(await payloadDigest(await t.h.driver(hostB), upTo)).toEqual({ ...before, missing: 0 });
    expect((await source.archiveTotals(t.h.streamId)).batches).toBe(0);
  }, 120_000);
});
