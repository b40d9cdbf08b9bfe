import { listOperations, listShardlets } from "@shardcast/db";
import { readArchivedShardlets, readPlacementState } from "@shardcast/runtime";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runPlacement } from "../src/placement/run.ts";
import type { LifecycleHarness } from "./lifecycle-harness.ts";
import { startPlacementHarness, twoMinutesOn } from "./placement-harness.ts";

/**
 * Adaptive placement of cold data against a real edge, PostgreSQL and Redis: the bandit archives
 * shardlets with old payloads, every event stays readable through the edge with the same payload
 * (counts and checksums), the next run rewards the decisions with the bytes they saved, and when a
 * consumer group needs archived rows the shardlets are restored whole.
 */

let h: LifecycleHarness;
interface FullEvent {
  seq: number;
  id: string | null;
  key: string;
  type: string | null;
  payload: unknown;
}

async function readAll(): Promise<FullEvent[]> {
  const out: FullEvent[] = [];
  for (let after = 0; ; ) {
    const res = await fetch(`${h.edgeUrl}/v1/streams/${h.stream}/events?after=${after}&limit=1000`, { headers: { authorization: `Bearer ${h.token}` } });
    expect(res.status).toBe(200);
    const page = (await res.json()) as { events: FullEvent[]; next: number; watermark: number };
    out.push(...page.events.map((e) => ({ seq: e.seq, id: e.id, key: e.key, type: e.type, payload: e.payload })));
    if (page.next >= page.watermark || page.next === after) return out;
    after = page.next;
  }
}

beforeAll(async () => {
  h = await startPlacementHarness();
});

afterAll(async () => {
  await h?.close();
});

describe("placement.run", () => {
  it("archives old shardlets, keeps every event readable, learns from the bytes saved and restores what a consumer group needs", async () => {
    const shardlets = (await listShardlets(h.db, { streamId: h.streamId })).filter((s) => s.state === "active");
    expect(shardlets).toHaveLength(2);
    for (const s of shardlets) await h.produce(Array.from({ length: 200 }, () => ({ key: h.keyIn(s.lo, s.hi), id: h.nextId() })));
    const before = await readAll();
    expect(before).toHaveLength(400);
    const oneKey = before[0]!.key;
    const byKeyBefore = (await h.read(oneKey)).byKey;
    // Two minutes on: every event is past the 60 s archive age.
    const later = twoMinutesOn(h);
    const ctx = { redis: h.redis, prefix: h.prefix };

    const first = await runPlacement(later, ctx);
    expect(first).toMatchObject({ streams: 1, shardlets: 2, archived: 2, restored: 0, rewarded: 0 });
    const driver = await h.driver(shardlets[0]!.hostId);
    const archived = await driver.archivedInRanges(h.streamId, shardlets);
    expect(archived.map((a) => a.events)).toEqual([200, 200]);
    const totals = await driver.archiveTotals(h.streamId);
    expect(totals.storedBytes).toBeLessThan(totals.rawBytes);

    // Readers see the same events, payloads included, and nothing was lost or duplicated.
    expect(await readAll()).toEqual(before);
    expect((await h.read(oneKey)).byKey).toEqual(byKeyBefore);
    const report = await h.check();
    expect(report).toMatchObject({ rows: 400, acked: 400, missing: [], unexpected: [], duplicateSeqs: 0 });
    expect(report.checksumStored).toBe(report.checksumAcked);
    const ops = await listOperations(h.db, { kind: "placement.archive", limit: 10 });
    expect(ops).toHaveLength(2);
    expect(ops[0]!.message).toMatch(/archived 200 events/);

    // Nobody read them back: the next run rewards both decisions with the share of bytes saved.
    const second = await runPlacement(later, ctx);
    expect(second).toMatchObject({ rewarded: 2, restored: 0 });
    const state = await readPlacementState(h.redis, h.prefix, 0.5);
    // The shard map's view: what the run measured as archived, per shardlet.
    expect(Object.fromEntries(Object.entries(await readArchivedShardlets(h.redis, h.prefix)).map(([id, a]) => [id, a.events]))).toEqual(Object.fromEntries(shardlets.map((s) => [s.id, 200])));
    const learnt = state.bandit.values("reads:none groups:none").archive;
    expect(learnt.pulls).toBe(2);
    expect(learnt.mean).toBeCloseTo(1 - totals.storedBytes / totals.rawBytes, 2);
    const rewards = state.recent.filter((d) => d.arm === "archive").map((d) => d.reward);
    expect(rewards).toHaveLength(2);
    for (const r of rewards) expect(r).toBeCloseTo(learnt.mean, 2);

    // A consumer group joins at position 0: it will replay archived rows, so both are restored.
    const join = await fetch(`${h.edgeUrl}/v1/streams/${h.stream}/groups/late/members`, {
      method: "POST",
      headers: { authorization: `Bearer ${h.token}`, "content-type": "application/json" },
      body: JSON.stringify({ name: "m1" }),
    });
    expect(join.status).toBe(201);
    const third = await runPlacement(later, ctx);
    expect(third).toMatchObject({ restored: 2, archived: 0 });
    expect((await driver.archivedInRanges(h.streamId, shardlets)).map((a) => a.events)).toEqual([0, 0]);
    expect((await driver.archiveTotals(h.streamId)).batches).toBe(0);
    expect(await readArchivedShardlets(h.redis, h.prefix)).toEqual({});
    expect(await readAll()).toEqual(before);
    const restoreOps = await listOperations(h.db, { kind: "placement.restore", limit: 10 });
    expect(restoreOps[0]!.message).toMatch(/a consumer group is at position 0/);

    // A batch that lost its rows (a restore stopped between its two statements) is dropped by the next run.
    await driver.withClient((c) =>
      c.query("INSERT INTO sc_archive (stream_id, lo, hi, min_seq, max_seq, events, raw_bytes, blob) VALUES ($1, 0, 1, 1, 1, 1, 1, '\\x00')", [h.streamId]),
    );
    expect((await driver.archiveTotals(h.streamId)).batches).toBe(1);
    // Nor is anything archived again: the group at position 0 has every event still to read.
    expect(await runPlacement(later, ctx)).toMatchObject({ archived: 0, restored: 0 });
    expect((await driver.archiveTotals(h.streamId)).batches).toBe(0);
  });
});
