import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { TelemetryDeltas } from "@shardcast/core";
import {
  applyTelemetryBatch,
  clientReadRows,
  deleteHintsEndedBefore,
  deleteHostResourceSamplesBefore,
  insertHostResourceSamples,
  insertLoadHints,
  listActiveHints,
  listHintsOverlapping,
  listHostResourceSamples,
  loadHintsBetween,
  shardletSeries,
  streamSeries,
  telemetryBatchApplied,
  telemetryTotals,
  type ControlDb,
} from "../src/index.ts";
import { createTestControlDb } from "../src/testing.ts";

let control: Awaited<ReturnType<typeof createTestControlDb>>;
let db: ControlDb;
beforeAll(async () => {
  control = await createTestControlDb();
  db = control.db;
});
afterAll(() => control?.drop());

const T = Date.UTC(2026, 0, 5, 10, 0, 0);
const HOUR_MS = 3_600_000;
const row = (bucketStart: number, shardletId: string, writes: number, latencyMaxMs = 1, minSeqRead?: number) => ({
  bucketStart,
  streamId: "s1",
  shardletId,
  writes,
  reads: 2,
  bytesWritten: writes * 10,
  bytesRead: 20,
  latencySumMs: writes * 1.5,
  latencyCount: writes,
  latencyMaxMs,
  ...(minSeqRead === undefined ? {} : { minSeqRead }),
});

describe("telemetry rollup storage", () => {
  const deltas: TelemetryDeltas = {
    shardlets: [row(T, "a", 3, 4, 40), row(T + 10_000, "a", 5, 9, 25), row(T + 10_000, "b", 1), row(T + 70_000, "a", 2)],
    hotKeys: [{ bucketStart: T, streamId: "s1", key: "k", writes: 3, reads: 1, error: 1 }],
    clients: [
      { bucketStart: T, streamId: "s1", shardletId: "a", client: "c", clientGroup: "g", reads: 2 },
      { bucketStart: T + 10_000, streamId: "s1", shardletId: "a", client: "c", clientGroup: "g", reads: 2 },
    ],
  };

  it("adds a batch into every resolution once, by its ledger", async () => {
    const first = await applyTelemetryBatch(db, { id: "b1", claimedAtMs: T + 80_000, deltas });
    expect(first).toEqual({ applied: true, rows: { shardlets: 4 + 3 + 2, hotKeys: 3, clients: 2 + 1 + 1, profiles: 0 } });
    expect(await applyTelemetryBatch(db, { id: "b1", claimedAtMs: T + 80_000, deltas })).toEqual({ applied: false, rows: { shardlets: 0, hotKeys: 0, clients: 0, profiles: 0 } });
    expect(await telemetryBatchApplied(db, "b1")).toBe(true);
    expect(await telemetryBatchApplied(db, "b2")).toBe(false);
    // A second batch over the same buckets adds to them; maxima keep the largest, the lowest positions read the lowest.
    await applyTelemetryBatch(db, { id: "b2", claimedAtMs: T + 90_000, deltas: { shardlets: [row(T, "a", 1, 2, 30)], hotKeys: [], clients: [] } });
    await applyTelemetryBatch(db, { id: "b3", claimedAtMs: T + 90_000, deltas: { shardlets: [{ ...row(T + 10_000, "a", 0, 0, 60), reads: 0, bytesRead: 0 }], hotKeys: [], clients: [] } });

    const fine = await shardletSeries(db, { streamId: "s1", resolution: 10, from: T, to: T + 120_000 });
    expect(fine.map((p) => [p.shardletId, p.bucketStart - T, p.writes, p.latencyMaxMs])).toEqual([
      ["a", 0, 4, 4],
      ["a", 10_000, 5, 9],
      ["a", 70_000, 2, 1],
      ["b", 10_000, 1, 1],
    ]);
    const minutes = await shardletSeries(db, { shardletIds: ["a"], resolution: 60, from: T, to: T + 120_000 });
    expect(minutes.map((p) => [p.bucketStart - T, p.writes, p.latencySumMs, p.latencyCount, p.latencyMaxMs])).toEqual([
      [0, 9, 13.5, 9, 9],
      [60_000, 2, 3, 2, 1],
    ]);
    const hour = await streamSeries(db, { streamId: "s1", resolution: 3600, from: T, to: T + 3_600_000 });
    expect(hour).toEqual([expect.objectContaining({ bucketStart: T, writes: 12, reads: 10, bytesWritten: 120, shardlets: 2 })]);
    const totals = await telemetryTotals(db, { streamId: "s1", from: T, to: T + 120_000 });
    expect(totals).toMatchObject({ writes: 12, reads: 10, bytesWritten: 120, bytesRead: 100, latencyCount: 12, latencyMaxMs: 9, minSeqRead: 25 });
    expect(totals.byShardlet.map((s) => [s.shardletId, s.writes, s.minSeqRead])).toEqual([
      ["a", 11, 25],
      ["b", 1, null],
    ]);
    const firstBucket = await telemetryTotals(db, { streamId: "s1", from: T, to: T + 10_000 });
    expect(firstBucket.byShardlet.map((s) => [s.shardletId, s.minSeqRead])).toEqual([["a", 30]]);
    expect(await clientReadRows(db, { streamId: "s1", resolution: 60, from: T, to: T + 60_000 })).toEqual([
      { bucketStart: T, shardletId: "a", client: "c", clientGroup: "g", reads: 4 },
    ]);
  });

  it("refuses unknown resolutions and empty windows", async () => {
    await expect(shardletSeries(db, { resolution: 0, from: T, to: T + 1 })).rejects.toThrow(/resolution/);
    await expect(telemetryTotals(db, { streamId: "s1", from: T, to: T })).rejects.toThrow(/to > from/);
  });
});

describe("load hints and host resource samples", () => {
  it("lists active and overlapping hints and deletes ended ones", async () => {
    const base = { streamId: "s1", lo: 0, hi: 100, eventsPerSec: 5 };
    await insertLoadHints(db, [
      { ...base, startsAt: T, endsAt: T + 1000 },
      { ...base, startsAt: T + 2000, endsAt: T + 3000, note: "later" },
      { ...base, streamId: "s2", startsAt: T, endsAt: T + 5000 },
    ]);
    expect((await listActiveHints(db, { streamId: "s1", atMs: T + 1500 })).map((h) => h.note)).toEqual(["later"]);
    expect((await listHintsOverlapping(db, { fromMs: T + 500, toMs: T + 2500 })).map((h) => h.streamId).sort()).toEqual(["s1", "s1", "s2"]);
    expect(await listHintsOverlapping(db, { streamId: "s1", fromMs: T + 1000, toMs: T + 2000 })).toEqual([]);
    await expect(insertLoadHints(db, [{ ...base, lo: 5, hi: 5, startsAt: T, endsAt: T + 1 }])).rejects.toThrow(/lo < hi/);
    expect(await deleteHintsEndedBefore(db, T + 2000)).toBe(1);
  });

  it("reads at most `perStream` hints of each stream for a forecast, the earliest first", async () => {
    const base = { lo: 0, hi: 100, eventsPerSec: 5, endsAt: T + 10 * HOUR_MS };
    await insertLoadHints(db, [
      ...Array.from({ length: 5 }, (_, i) => ({ ...base, streamId: "many", startsAt: T + (5 - i) * 1000 })),
      { ...base, streamId: "few", startsAt: T },
    ]);
    const read = await loadHintsBetween(db, { streamIds: ["many", "few"], fromMs: T, toMs: T + HOUR_MS, perStream: 3 });
    expect(read.map((h) => [h.streamId, h.startsAt])).toEqual([
      ["few", T],
      ["many", T + 1000],
      ["many", T + 2000],
      ["many", T + 3000],
    ]);
    expect(read[0]).toEqual({ streamId: "few", lo: 0, hi: 100, eventsPerSec: 5, startsAt: T, endsAt: T + 10 * HOUR_MS });
  });

  it("stores, lists and expires host samples", async () => {
    const s = {
      hostId: "h1",
      dbSizeBytes: 8_000_000,
      commits: 10,
      rowsWritten: 5,
      blocksRead: 3,
      blocksHit: 30,
      connections: 2,
      walBytes: 4096,
      blockReadTimeMs: 1.5,
      blockWriteTimeMs: 0,
      activeBackends: 1,
      lockWaits: 0,
    };
    expect(
      await insertHostResourceSamples(db, [{ ...s, at: T, loadEventsPerSec: 120, ackLatencyMs: 8.5 }, { ...s, at: T + 30_000, commits: 20, walBytes: null }, { ...s, hostId: "h2", at: T }]),
    ).toBe(3);
    const listed = await listHostResourceSamples(db, { hostId: "h1", fromMs: T, toMs: T + 60_000 });
    expect(listed.map((x) => x.commits)).toEqual([10, 20]);
    expect(listed.map((x) => [x.walBytes, x.loadEventsPerSec, x.ackLatencyMs])).toEqual([
      [4096, 120, 8.5],
      [null, null, null],
    ]);
    expect(await deleteHostResourceSamplesBefore(db, T + 1)).toBe(2);
  });
});
