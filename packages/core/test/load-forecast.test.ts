import { describe, expect, it } from "vitest";
import {
  analyzeLoad,
  keyHash,
  loadForecast,
  loadForecastSchema,
  loadForecastScope,
  RoutingTable,
  type LoadForecastRows,
  type ShardletRoute,
} from "../src/index.ts";
import { host, linearTrend, settings, shardlet } from "./analyzer-fixtures.ts";

const STREAM = "st";
const Q = 2 ** 30;
const routes: ShardletRoute[] = ["a", "b", "c", "d"].map((id, i) => ({ id, streamId: STREAM, shardId: "shard-0", lo: i * Q, hi: (i + 1) * Q, hostId: "h1", epoch: 1, state: "active" }));
const table = RoutingTable.build(STREAM, routes);

const START = 1_800_000_000_000;
const STEP_MS = 10_000;
/** Shardlet i forecast at (i + 1) x 10 + step events/s for six steps of 10 s. */
const series = (i: number) => Array.from({ length: 6 }, (_, k) => ({ t: START + k * STEP_MS, value: (i + 1) * 10 + k }));

/** A tracker series as the analyzer saves it, with these scaled errors. */
const tracked = (errors: number[], trusted = true, reason: string | null = null) => ({ pending: {}, actuals: [1, 2], lastStep: 5, errors, outside: 0, trusted, reason, untrustedSince: trusted ? null : 4 });

function rows(over: Partial<LoadForecastRows> = {}): LoadForecastRows {
  return {
    run: { id: "run-1", at: START - 5_000, bucketSec: 10, horizonSec: 60, model: "selection (default)", forecastStart: START },
    // "d" is younger than the run.
    forecasts: new Map(["a", "b", "c"].map((id, i) => [id, series(i)])),
    models: new Map([["a", "weekly_median"], ["b", "observed_rate"], ["c", "holt_winters"]]),
    tracked: new Map<string, unknown>([
      ["a", tracked([0.5, 1, 1.5])],
      ["b", tracked([9, 9, 5, 5, 5, 5, 5, 5], false, "the last 3 actuals each missed the forecast by more than 3.0x the naive one-step error")],
      ["c", { errors: "not a list" }],
    ]),
    // Reads: only "a" is read, at 5 events/s a step; "b" was read, but not in this run's history.
    reads: {
      forecasts: new Map([["a", Array.from({ length: 6 }, (_, k) => ({ t: START + k * STEP_MS, value: 5 }))]]),
      models: new Map([["a", "ensemble"]]),
      tracked: new Map<string, unknown>([["a", tracked([0.2, 0.4])]]),
    },
    ...over,
  };
}

const forecastOf = (q: { shardletId?: string; key?: string; horizonSec?: number }, r: LoadForecastRows | null = rows(), nowMs = START + 1_000) =>
  loadForecast({ stream: "orders", scope: loadForecastScope(table, q), rows: r, nowMs, ...(q.horizonSec !== undefined ? { horizonSec: q.horizonSec } : {}) });

/** A `ShardcastError` with these fields, for `toThrow`. */
const refusal = (fields: { code: string; message?: string; details?: Record<string, unknown> }) => expect.objectContaining({ name: "ShardcastError", ...fields }) as Error;

describe("the load forecast answer", () => {
  it("sums a stream's shardlets step by step, with each series' model and recent error", () => {
    const answer = forecastOf({});
    expect(loadForecastSchema.parse(answer)).toEqual(answer);
    expect(answer.scope).toEqual({ kind: "stream" });
    expect(answer.run).toEqual({ id: "run-1", at: START - 5_000, model: "selection (default)", forecastStart: START, horizonSec: 60 });
    expect(answer.bucketSec).toBe(10);
    expect(answer.horizonSec).toBe(60);
    // 10 + 20 + 30 at the first step, each series one more per step; "d" adds nothing.
    expect(answer.points).toEqual(Array.from({ length: 6 }, (_, k) => ({ t: START + k * STEP_MS, writesPerSec: 60 + 3 * k })));
    expect(answer.series.map((s) => [s.shardletId, s.forecast, s.model])).toEqual([
      ["a", true, "weekly_median"],
      ["b", true, "observed_rate"],
      ["c", true, "holt_winters"],
      ["d", false, null],
    ]);
    expect(answer.series[0]!.error).toEqual({ mase: 1, steps: 3, trusted: true, untrustedReason: null });
    // The tracker's window: the last six scored steps.
    expect(answer.series[1]!.error).toMatchObject({ mase: 5, steps: 6, trusted: false });
    expect(answer.series[1]!.error?.untrustedReason).toMatch(/^the last 3 actuals each missed .*; now 5\.0x over the last 6 steps; trusted again after 6 steps/);
    // A saved series of another shape is no error figure, not a failure.
    expect(answer.series[2]!.error).toBeNull();
    expect(answer.status).toBe("partial");
    expect(answer.reason).toBe("1 of 4 shardlets are younger than the latest analyzer run and have no forecast until the next run: the points sum the others");
    // Reads are summed and judged the same way, apart from the writes.
    expect(answer.reads.points).toEqual(Array.from({ length: 6 }, (_, k) => ({ t: START + k * STEP_MS, readsPerSec: 5 })));
    expect(answer.reads.series.map((s) => [s.shardletId, s.forecast, s.model])).toEqual([
      ["a", true, "ensemble"],
      ["b", false, null],
      ["c", false, null],
      ["d", false, null],
    ]);
    expect(answer.reads.series[0]!.error).toEqual({ mase: 0.3, steps: 2, trusted: true, untrustedReason: null });
    expect(answer.readsReason).toBeNull();
  });

  it("says why there are no read points for a scope nobody read, or without a run", () => {
    const unread = forecastOf({ shardletId: "c" });
    expect(unread.reads.points).toEqual([]);
    expect(unread.readsReason).toMatch(/no shardlet of this scope was read/);
    const none = forecastOf({}, null);
    expect(none.reads).toEqual({ points: [], series: expect.any(Array) as unknown[] });
    expect(none.readsReason).toMatch(/no analyzer run/);
  });

  it("answers one shardlet by id or by a key its range holds, and cuts the points to the horizon", () => {
    const byId = forecastOf({ shardletId: "b", horizonSec: 30 });
    expect(byId.scope).toEqual({ kind: "shardlet", shardletId: "b", range: { lo: Q, hi: 2 * Q }, key: null });
    expect(byId.points.map((p) => p.writesPerSec)).toEqual([20, 21, 22]);
    expect(byId.horizonSec).toBe(30);
    expect(byId.status).toBe("ok");
    expect(byId.reason).toBeNull();
    // A horizon between two step starts takes the step it falls in.
    expect(forecastOf({ shardletId: "b", horizonSec: 21 }).points).toHaveLength(3);

    const key = "user-42";
    const owner = routes.find((r) => r.lo <= keyHash(key) && keyHash(key) < r.hi)!;
    const byKey = forecastOf({ key });
    expect(byKey.scope).toEqual({ kind: "shardlet", shardletId: owner.id, range: { lo: owner.lo, hi: owner.hi }, key });
    expect(byKey.series.map((s) => s.shardletId)).toEqual([owner.id]);
  });

  it("refuses a horizon past the run's, a shardlet and a key together, and a shardlet the stream does not route", () => {
    expect(() => forecastOf({ horizonSec: 61 })).toThrow(
      refusal({ code: "bad_request", message: "horizon must be at most 60 s: the latest analyzer run forecast 60 s ahead", details: { maxHorizonSec: 60 } }),
    );
    expect(() => forecastOf({ shardletId: "a", key: "k" })).toThrow(refusal({ code: "bad_request" }));
    expect(() => forecastOf({ shardletId: "gone" })).toThrow(refusal({ code: "not_found" }));
  });

  it("says when no run has forecast the stream, when the run's forecast has ended, and when a shardlet is younger than it", () => {
    const none = forecastOf({ horizonSec: 3600 }, null);
    expect(none).toMatchObject({ status: "no_run", run: null, bucketSec: null, horizonSec: 3600, points: [] });
    expect(none.reason).toMatch(/^no analyzer run has forecast this stream yet/);
    expect(loadForecastSchema.safeParse(none).success).toBe(true);

    const late = forecastOf({ shardletId: "a" }, rows(), START + 60_000);
    expect(late.status).toBe("expired");
    expect(late.reason).toMatch(/^the latest analyzer run's forecast ended at 2027-01-15T08:01:00\.000Z/);
    expect(late.points).toHaveLength(6);

    const young = forecastOf({ shardletId: "d" });
    expect(young).toMatchObject({ status: "partial", points: [], reason: "this shardlet is younger than the latest analyzer run: it has no forecast until the next run" });
  });
});

describe("what the analyzer's output says made each forecast", () => {
  it("marks the shardlets whose rate was carried forward: no history, or a model that failed", () => {
    const failing = { kind: "holt_winters" as const, forecast: () => { throw new Error("no fit"); } };
    const base = { now: 0, bucketMs: 10_000, horizonSteps: 4, period: 6, hosts: [host("h1")], splitWriteRate: 1000, splitFullness: 0.8, settings: settings() };
    const out = analyzeLoad({ ...base, shardlets: [shardlet("fresh", "h1", [], { load: 5 }), shardlet("seen", "h1", [1, 2, 3, 4])], forecaster: linearTrend() });
    expect([...out.carried]).toEqual(["fresh"]);
    expect(out.forecasts.get("fresh")).toEqual([5, 5, 5, 5]);
    expect([...analyzeLoad({ ...base, shardlets: [shardlet("seen", "h1", [1, 2, 3, 4])], forecaster: failing }).carried]).toEqual(["seen"]);
  });
});
