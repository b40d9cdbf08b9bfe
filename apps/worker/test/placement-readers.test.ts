import { emptyCounters, type ShardletDelta } from "@shardcast/core";
import { applyTelemetryBatch, listOperations, listShardlets } from "@shardcast/db";
import { readPlacementState } from "@shardcast/runtime";
import { describe, expect, it } from "vitest";
import { runPlacement } from "../src/placement/run.ts";
import { usePlacementHarness } from "./placement-harness.ts";

/**
 * Readers that no consumer group stands for (a report, a dashboard) and the cold archive: the
 * placement job restores an archive only when a reader reached its rows, by the lowest position
 * the edges' telemetry saw read, and leaves it (and rewards it) when the reads were of recent events.
 */
const harness = usePlacementHarness();

describe("placement.run with readers outside consumer groups", () => {
  it("keeps the archive of a shardlet read only at its tail and restores the one read from the start", async () => {
    const h = harness();
    const shardlets = (await listShardlets(h.db, { streamId: h.streamId })).filter((s) => s.state === "active");
    expect(shardlets).toHaveLength(2);
    const [tail, replayed] = shardlets as [(typeof shardlets)[0], (typeof shardlets)[0]];
    for (const s of shardlets) await h.produce(Array.from({ length: 100 }, () => ({ key: h.keyIn(s.lo, s.hi), id: h.nextId() })));
    const base = Date.now() + 120_000;
    let now = base;
    const deps = { ...h.deps, clock: () => now };
    const ctx = { redis: h.redis, prefix: h.prefix };
    expect(await runPlacement(deps, ctx)).toMatchObject({ archived: 2, restored: 0 });
    const driver = await h.driver(tail.hostId);
    const archivedMax = Math.max(...(await driver.archivedInRanges(h.streamId, shardlets)).map((a) => a.maxSeq ?? 0));
    expect(archivedMax).toBeGreaterThan(0);

    // Between the runs, one reader read the first shardlet past everything archived (new events
    // only), and another read the second one from its first event on.
    const bucket = base + 10_000 - ((base + 10_000) % 10_000);
    const read = (shardletId: string, minSeqRead: number): ShardletDelta => ({ ...emptyCounters(), bucketStart: bucket, streamId: h.streamId, shardletId, reads: 20, bytesRead: 2_000, minSeqRead });
    await applyTelemetryBatch(h.db, { id: `reads-${h.prefix}`, claimedAtMs: bucket, deltas: { shardlets: [read(tail.id, archivedMax + 1), read(replayed.id, 1)], hotKeys: [], clients: [] } });
    now = bucket + 20_000;

    const second = await runPlacement(deps, ctx);
    expect(second).toMatchObject({ restored: 1, rewarded: 2 });
    const after = await driver.archivedInRanges(h.streamId, [tail, replayed]);
    expect(after.map((a) => a.events)).toEqual([100, 0]);
    const restore = await listOperations(h.db, { kind: "placement.restore", limit: 10 });
    expect(restore).toHaveLength(1);
    expect(restore[0]!.message).toMatch(/read at position 1, at or below the archived \d+/);
    // The tail reader's archive earned the bytes it saved; the replayed one earned nothing.
    const rewards = new Map((await readPlacementState(h.redis, h.prefix, 0.5)).recent.filter((d) => d.arm === "archive").map((d) => [d.shardletId, d.reward]));
    expect(rewards.get(tail.id)).toBeGreaterThan(0);
    expect(rewards.get(replayed.id)).toBe(0);
    const report = await h.check();
    expect(report).toMatchObject({ rows: 200, acked: 200, missing: [], unexpected: [], duplicateSeqs: 0 });
    expect(report.checksumStored).toBe(report.checksumAcked);
  });
});
