import { describe, expect, it } from "vitest";
import { ForecastErrorTracker, keyHash, SHARDLET_ERROR_TRACKER_OPTIONS, type LoadForecast } from "@shardcast/core";
import { recordAnalyzerRun, streamLoadForecastByName, type ShardletInfo } from "@shardcast/db";
import { useAnalyzerConsole } from "./analyzer-harness.ts";
import type { Harness } from "./harness.ts";

/**
 * `heatmap.forecast`: the console's form of the edge's forecast route, answered by the same
 * function from the latest analyzer run (the harness's: 12 steps of 10 s, shardlet i at 100 x (i + 1)).
 */
describe("the console's load forecast", () => {
  let h: Harness;
  let viewer: string;
  let shardlets: ShardletInfo[];
  let base: number;
  let runId: string;

  useAnalyzerConsole((c) => ({ h, viewer, shardlets, base, runId } = c));

  const rateOf = (s: ShardletInfo) => 100 * (shardlets.indexOf(s) + 1);
  const call = (input: Record<string, unknown>, token: string | null = viewer) => h.call<LoadForecast>("query", "heatmap.forecast", input, token);

  it("answers a stream's forecast as the sum of its shardlets', as the shared function does", async () => {
    const res = await call({ stream: "heat" });
    expect(res.status).toBe(200);
    const f = res.data!;
    expect(f).toMatchObject({ stream: "heat", scope: { kind: "stream" }, status: "ok", bucketSec: 10, horizonSec: 120, readsReason: null });
    // The harness's run forecast reads of two shardlets: 60 and 10 events/s.
    expect(f.reads.points).toEqual(Array.from({ length: 12 }, (_, k) => ({ t: base + k * 10_000, readsPerSec: 70 })));
    expect(f.run).toMatchObject({ id: runId, model: "selection (default)", forecastStart: base, horizonSec: 120 });
    expect(f.points).toEqual(Array.from({ length: 12 }, (_, k) => ({ t: base + k * 10_000, writesPerSec: 1000 })));
    // The harness's run recorded no models per series.
    expect(f.series.map((s) => [s.shardletId, s.forecast, s.model])).toEqual([...shardlets].sort((a, b) => a.lo - b.lo).map((s) => [s.id, true, null]));
    const direct = await streamLoadForecastByName(h.db, { stream: "heat", nowMs: Date.now() });
    expect(f).toEqual(direct);
  });

  it("answers a shardlet or a key's shardlet over a shorter horizon, with the model and error the run kept", async () => {
    const [first] = shardlets;
    const tracker = new ForecastErrorTracker(SHARDLET_ERROR_TRACKER_OPTIONS);
    [100, 110, 100, 110].forEach((v, step) => tracker.observe(first!.id, step, v));
    tracker.recordForecast(first!.id, 4, [105]);
    tracker.observe(first!.id, 4, 115);
    const later = await recordAnalyzerRun(h.db, {
      at: new Date(Date.now() + 1_000),
      horizonSec: 120,
      bucketSec: 10,
      modelVersionId: null,
      ranking: [],
      forecastStartMs: base,
      forecasts: shardlets.map((s) => ({ shardletId: s.id, streamId: s.streamId, values: new Array<number>(12).fill(rateOf(s)), model: "weekly_median" })),
      shardletTracker: tracker.toJSON(),
    });

    const one = await call({ stream: "heat", shardletId: first!.id, horizonSec: 30 });
    expect(one.status).toBe(200);
    expect(one.data!.run?.id).toBe(later.id);
    expect(one.data!.scope).toEqual({ kind: "shardlet", shardletId: first!.id, range: { lo: first!.lo, hi: first!.hi }, key: null });
    expect(one.data!.points.map((p) => p.writesPerSec)).toEqual([rateOf(first!), rateOf(first!), rateOf(first!)]);
    // One step scored: 115 against 105, over a naive one-step error of 10.
    expect(one.data!.series).toEqual([{ shardletId: first!.id, range: { lo: first!.lo, hi: first!.hi }, forecast: true, model: "weekly_median", error: { mase: 1, steps: 1, trusted: true, untrustedReason: null } }]);

    const key = "order-7";
    const owner = shardlets.find((s) => s.lo <= keyHash(key) && keyHash(key) < s.hi)!;
    const byKey = await call({ stream: "heat", key });
    expect(byKey.data!.scope).toMatchObject({ kind: "shardlet", shardletId: owner.id, key });
    expect(byKey.data!.points[0]!.writesPerSec).toBe(rateOf(owner));
  });

  it("refuses bad input with 400, an unknown stream or shardlet with 404, and callers who are not signed in", async () => {
    const past = await call({ stream: "heat", horizonSec: 121 });
    expect(past.status).toBe(400);
    expect(past.error?.message).toBe("horizon must be at most 120 s: the latest analyzer run forecast 120 s ahead");
    expect(past.error?.data.scCode).toBe("bad_request");
    const both = await call({ stream: "heat", shardletId: shardlets[0]!.id, key: "k" });
    expect(both.status).toBe(400);
    expect(both.error?.message).toContain("give a shardlet or a key, not both");
    expect((await call({ stream: "heat", horizonSec: 0 })).status).toBe(400);
    expect((await call({ stream: "heat", key: "" })).status).toBe(400);
    expect((await call({ stream: "nope" })).status).toBe(404);
    expect((await call({ stream: "heat", shardletId: "nope" })).status).toBe(404);
    expect((await call({ stream: "heat" }, null)).status).toBe(401);
  });
});
