import { forecastStartMs, parseAnalyzerSettings } from "@shardcast/core";
import { listAnalyzerProposals, listPlannerNotes, listShardlets, runForecasts, runSeriesModels, updateAnalyzerSettings, type ShardletInfo } from "@shardcast/db";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runAnalyzer } from "../src/analyzer/run.ts";
import { startLifecycleHarness, type LifecycleHarness } from "./lifecycle-harness.ts";
import { backdateShardlets, insertWriteRates, SELECTABLE_MODELS } from "./analyzer-telemetry.ts";

/**
 * A shardlet's load climbs far faster than its forecast said. The next analyzer run scores the
 * earlier run's forecasts against what came, stops trusting that shardlet's forecasts, and plans it
 * on its observed rate (the reactive path): no predicted split, a note saying why. The same history
 * with the tracker's memory wiped is proposed for a split, so the trust is what held it back.
 */

describe("analyzer: a shardlet whose forecasts missed falls back to the reactive path", () => {
  let h: LifecycleHarness;
  let hot: ShardletInfo;
  let nowMs: number;
  let base: number;
  const SPLIT_RATE = 200;
  const settings = { bucketSec: 10, horizonSec: 120, historySteps: 40, telemetryLagSec: 0, period: 60 };
  /** Flat, then a gentle climb of 6 events/s per 10 s bucket. */
  const before = [...new Array<number>(18).fill(20), ...Array.from({ length: 12 }, (_, j) => 20 + 6 * (j + 1))];
  /** The three buckets after the first run: 20 events/s more each, where the forecast said about 6. */
  const after = [112, 132, 152];
  const later = () => nowMs + after.length * settings.bucketSec * 1000;
  const run = (at: number) => runAnalyzer({ db: h.db, log: h.deps.log, clock: () => at }, { trigger: "manual" });

  beforeAll(async () => {
    h = await startLifecycleHarness({ hosts: 2, shardCount: 1, shardletsPerShard: 4, settings: { splitWriteRate: SPLIT_RATE } });
    await updateAnalyzerSettings(h.db, settings, null);
    const shardlets = await listShardlets(h.db, { streamId: h.streamId });
    hot = shardlets[1]!;
    nowMs = Date.now();
    await backdateShardlets(h.db, h.streamId, nowMs);
    base = forecastStartMs(nowMs, parseAnalyzerSettings(settings));
    for (const s of shardlets) {
      const rates = s.id === hot.id ? before : new Array<number>(before.length).fill(20);
      await insertWriteRates(h.db, { streamId: h.streamId, shardletId: s.id, endMs: base, bucketSec: 10, rates });
    }
  });

  afterAll(async () => {
    await h?.close();
  });

  it("trusts a shardlet it has never judged, and keeps its forecasts for the next run", async () => {
    const first = await run(nowMs);
    expect(first.runId).not.toBeNull();
    const notes = await listPlannerNotes(h.db, { source: "analyzer" });
    expect(notes.filter((n) => n.message.includes("not trusted"))).toEqual([]);
    const saved = await h.db.analyzerRun.findUnique({ where: { id: first.runId! }, select: { shardletTracker: true } });
    const series = (saved?.shardletTracker as { series?: Record<string, { pending: Record<string, number> }> } | null)?.series ?? {};
    expect(Object.keys(series).sort()).toEqual((await listShardlets(h.db, { streamId: h.streamId })).map((s) => s.id).sort());
    // A horizon of forecasts waits to be scored, for every shardlet.
    expect(Object.keys(series[hot.id]!.pending)).toHaveLength(12);
    // Each series' forecast names the model the selection chose for it.
    const models = await runSeriesModels(h.db, first.runId!, Object.keys(series));
    expect(models.size).toBe(4);
    for (const name of models.values()) expect(SELECTABLE_MODELS).toContain(name);
  });

  it("stops trusting it once the load outruns the forecast, plans it on what it does now and says why", async () => {
    const shardlets = await listShardlets(h.db, { streamId: h.streamId });
    for (const s of shardlets) {
      await insertWriteRates(h.db, { streamId: h.streamId, shardletId: s.id, endMs: base + 30_000, bucketSec: 10, rates: s.id === hot.id ? after : [20, 20, 20] });
    }
    const second = await run(later());
    expect(await listAnalyzerProposals(h.db, { status: "open", limit: 10 })).toEqual([]);
    expect(second.proposals.split).toBe(0);

    const notes = (await listPlannerNotes(h.db, { source: "analyzer" })).filter((n) => n.shardletId === hot.id);
    expect(notes.map((n) => n.message)).toEqual([
      expect.stringMatching(/^its forecast is not trusted \(the last 3 actuals each missed the forecast by more than 3\.0x the naive one-step error; now [\d.]+x over the last 3 steps; trusted again after 6 steps .*\): planned on its observed 152 events\/s/),
    ]);
    // The flat stored forecast is what the run planned on; the calm shardlets keep their model's.
    const points = await runForecasts(h.db, second.runId!, [hot.id]);
    expect(points.get(hot.id)?.map((p) => p.value)).toEqual(new Array<number>(12).fill(152));
    const models = await runSeriesModels(h.db, second.runId!, shardlets.map((s) => s.id));
    expect(models.get(hot.id)).toBe("observed_rate");
    for (const s of shardlets) if (s.id !== hot.id) expect(SELECTABLE_MODELS).toContain(models.get(s.id));
  });

  it("would have proposed the split on the same history without the tracker's memory", async () => {
    await h.db.$executeRaw`UPDATE analyzer_runs SET shardlet_tracker = NULL`;
    const control = await run(later());
    expect(control.proposals.split).toBe(1);
    const open = await listAnalyzerProposals(h.db, { status: "open", limit: 10 });
    expect(open.map((p) => [p.kind, p.shardletId])).toEqual([["split", hot.id]]);
    expect(open[0]!.reason).toMatch(/forecast write rate reaches 180 events\/s/);
  });
});
