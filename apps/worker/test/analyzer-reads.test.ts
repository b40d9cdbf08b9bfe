import { forecastStartMs, parseAnalyzerSettings } from "@shardcast/core";
import { ensureConsumerGroup, latestGroupReadForecast, latestReadForecasts, listShardlets, runForecasts, runSeriesModels, updateAnalyzerSettings, type ShardletInfo } from "@shardcast/db";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runAnalyzer } from "../src/analyzer/run.ts";
import { startLifecycleHarness, type LifecycleHarness } from "./lifecycle-harness.ts";
import { backdateShardlets, insertWriteRates, SELECTABLE_MODELS } from "./analyzer-telemetry.ts";

/**
 * Read forecasts beside the write forecasts: the analyzer forecasts the read rate of every
 * shardlet that is read, with the same selection, stores them apart from the write forecasts, and
 * judges them with their own error tracker: a shardlet whose reads outrun their forecast is
 * planned on its observed read rate, which placement then ignores.
 */

describe("analyzer: read forecasts", () => {
  let h: LifecycleHarness;
  let read: ShardletInfo;
  let nowMs: number;
  let base: number;
  let group: string;
  let idle: string;
  const settings = { bucketSec: 10, horizonSec: 120, historySteps: 48, telemetryLagSec: 0, period: 12 };
  /** Four periods of reads peaking at 300/s once a period (12 buckets). */
  const readHistory = Array.from({ length: 48 }, (_, i) => (i % 12 === 6 ? 300 : 30));
  const run = (at: number) => runAnalyzer({ db: h.db, log: h.deps.log, clock: () => at }, { trigger: "manual" });

  beforeAll(async () => {
    h = await startLifecycleHarness({ hosts: 2, shardCount: 1, shardletsPerShard: 4 });
    await updateAnalyzerSettings(h.db, settings, null);
    const shardlets = await listShardlets(h.db, { streamId: h.streamId });
    read = shardlets[2]!;
    nowMs = Date.now();
    await backdateShardlets(h.db, h.streamId, nowMs);
    base = forecastStartMs(nowMs, parseAnalyzerSettings(settings));
    for (const s of shardlets) await insertWriteRates(h.db, { streamId: h.streamId, shardletId: s.id, endMs: base, bucketSec: 10, rates: new Array<number>(48).fill(20) });
    await insertWriteRates(h.db, { streamId: h.streamId, shardletId: read.id, endMs: base, bucketSec: 10, rates: readHistory, metric: "reads" });
    // A consumer group reading the shardlet: its polls' reads carry its name.
    group = (await ensureConsumerGroup(h.db, { streamId: h.streamId, name: "billing", startSeq: 0 })).id;
    idle = (await ensureConsumerGroup(h.db, { streamId: h.streamId, name: "idle", startSeq: 0 })).id;
    await h.db.clientBucket.createMany({
      data: readHistory.map((rate, i) => ({ resolution: 10, bucketStart: new Date(base - (48 - i) * 10_000), streamId: h.streamId, shardletId: read.id, client: "svc", clientGroup: "billing", reads: BigInt(rate * 10) })),
    });
  });

  afterAll(async () => {
    await h?.close();
  });

  it("forecasts the reads of the shardlet that is read, apart from every shardlet's writes", async () => {
    const first = await run(nowMs);
    expect(first.reads).toEqual({ forecast: 1, groups: 1, untrusted: 0 });
    const ids = (await listShardlets(h.db, { streamId: h.streamId })).map((s) => s.id);
    expect((await runForecasts(h.db, first.runId!, ids)).size).toBe(4);
    const reads = await runForecasts(h.db, first.runId!, ids, "reads");
    expect([...reads.keys()]).toEqual([read.id]);
    const values = reads.get(read.id)!.map((p) => p.value);
    expect(values).toHaveLength(12);
    // The periodic peak is forecast: reads, not the shardlet's flat 20 writes/s.
    expect(Math.max(...values)).toBeGreaterThan(200);
    expect(Math.min(...values)).toBeLessThan(60);
    const model = (await runSeriesModels(h.db, first.runId!, [read.id], "reads")).get(read.id);
    expect(SELECTABLE_MODELS).toContain(model);

    const peak = await latestReadForecasts(h.db, { streamId: h.streamId, shardletIds: ids, fromMs: base, toMs: base + 120_000, bucketMs: 10_000 });
    expect([...peak.keys()]).toEqual([read.id]);
    expect(peak.get(read.id)!.peak).toBe(Math.max(...values));
    // Only the window asked for: a look-ahead that ends before the peak does not see it.
    const peakAt = values.indexOf(Math.max(...values));
    const early = await latestReadForecasts(h.db, { streamId: h.streamId, shardletIds: [read.id], fromMs: base + 10_000, toMs: base + peakAt * 10_000, bucketMs: 10_000 });
    expect(early.get(read.id)!.peak).toBeLessThan(Math.max(...values));

    // The group that reads is forecast as a series of its own; the idle one is not.
    const g = await latestGroupReadForecast(h.db, group);
    expect(g).toMatchObject({ startMs: base, stepMs: 10_000 });
    expect(SELECTABLE_MODELS).toContain(g!.model);
    expect(g!.values).toHaveLength(12);
    expect(Math.max(...g!.values)).toBeGreaterThan(200);
    expect(await latestGroupReadForecast(h.db, idle)).toBeNull();
  });

  it("stops trusting read forecasts that missed, stores the observed read rate instead, and says so", async () => {
    for (const s of await listShardlets(h.db, { streamId: h.streamId })) {
      await insertWriteRates(h.db, { streamId: h.streamId, shardletId: s.id, endMs: base + 30_000, bucketSec: 10, rates: [20, 20, 20] });
    }
    // Three buckets of reads far above anything forecast.
    await insertWriteRates(h.db, { streamId: h.streamId, shardletId: read.id, endMs: base + 30_000, bucketSec: 10, rates: [2_000, 2_500, 3_000], metric: "reads" });
    const second = await run(nowMs + 30_000);
    // Only the shardlet's read forecast missed: the group's series is judged on its own reads.
    expect(second.reads).toEqual({ forecast: 1, groups: 1, untrusted: 1 });
    expect((await latestGroupReadForecast(h.db, group))!.model).not.toBe("observed_rate");
    expect((await runSeriesModels(h.db, second.runId!, [read.id], "reads")).get(read.id)).toBe("observed_rate");
    expect((await runForecasts(h.db, second.runId!, [read.id], "reads")).get(read.id)!.map((p) => p.value)).toEqual(new Array<number>(12).fill(3_000));
    // The write forecasts were judged on writes alone: still trusted.
    expect(second.proposals.split).toBe(0);
    const writeModel = (await runSeriesModels(h.db, second.runId!, [read.id])).get(read.id);
    expect(SELECTABLE_MODELS).toContain(writeModel);
  });
});
