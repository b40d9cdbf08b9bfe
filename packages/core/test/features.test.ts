import { describe, expect, it } from "vitest";
import {
  buildCovariates,
  calendarFeatures,
  carryForward,
  clientActivityFeatures,
  coAccessLoad,
  dayOfWeek,
  hintRatePerStep,
  hourOfDay,
  pearson,
  rollingMean,
  rollingPopularity,
  shardletCovariates,
  topCorrelatedPairs,
  withCovariates,
} from "../src/features/index.ts";
import { HASH_SPACE } from "../src/types.ts";

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
/** 2026-01-05T00:00:00Z, a Monday. */
const MONDAY = Date.UTC(2026, 0, 5);

describe("calendar features", () => {
  it("knows the hour and the weekday", () => {
    expect(hourOfDay(MONDAY + 10.5 * HOUR)).toBe(10.5);
    expect(hourOfDay(MONDAY - HOUR)).toBe(23);
    expect(dayOfWeek(MONDAY)).toBe(1);
    expect(dayOfWeek(MONDAY - 1)).toBe(0);
    expect(dayOfWeek(0)).toBe(4); // 1970-01-01 was a Thursday
    expect(hourOfDay(MONDAY, 120)).toBe(2);
    expect(dayOfWeek(MONDAY - HOUR, 120)).toBe(1);
  });

  it("puts each step's middle on the circle", () => {
    // Steps of 6 h from Monday 00:00: middles at 03:00, 09:00, 15:00, 21:00.
    const f = calendarFeatures({ startMs: MONDAY, stepMs: 6 * HOUR, steps: 4 });
    const rad = (h: number) => (2 * Math.PI * h) / 24;
    f.hourSin.forEach((v, i) => expect(v).toBeCloseTo(Math.sin(rad(3 + 6 * i)), 12));
    f.hourCos.forEach((v, i) => expect(v).toBeCloseTo(Math.cos(rad(3 + 6 * i)), 12));
    expect(f.dowSin[0]).toBeCloseTo(Math.sin((2 * Math.PI) / 7), 12);
    expect(f.dowCos[3]).toBeCloseTo(Math.cos((2 * Math.PI) / 7), 12);
    const sunday = calendarFeatures({ startMs: MONDAY - DAY, stepMs: DAY, steps: 1 });
    expect(sunday.dowSin[0]).toBeCloseTo(0, 12);
    expect(sunday.dowCos[0]).toBeCloseTo(1, 12);
  });
});

describe("rolling popularity", () => {
  it("is the series' share of stream load over the window", () => {
    expect(rollingPopularity([1, 1, 2, 0, 0], [2, 4, 4, 4, 0], 2)).toEqual([0.5, 2 / 6, 3 / 8, 2 / 8, 0]);
    expect(rollingPopularity([3], [0], 3)).toEqual([0]);
    expect(() => rollingPopularity([1], [1], 0)).toThrow(RangeError);
  });

  it("has rolling means and forward carry", () => {
    expect(rollingMean([2, 4, 6, 8], 2)).toEqual([2, 3, 5, 7]);
    expect(carryForward([1, 2], 3)).toEqual([1, 2, 2, 2, 2]);
    expect(carryForward([], 2)).toEqual([0, 0]);
  });
});

describe("client activity", () => {
  const rows = [
    { bucketStart: 0, shardletId: "a", client: "c1", clientGroup: "g1", reads: 6 },
    { bucketStart: 5_000, shardletId: "a", client: "c2", clientGroup: "g1", reads: 2 },
    { bucketStart: 0, shardletId: "a", client: "c1", clientGroup: "g2", reads: 2 },
    { bucketStart: 0, shardletId: "b", client: "c3", clientGroup: "g1", reads: 10 },
    { bucketStart: 10_000, shardletId: "b", client: "c3", clientGroup: "g1", reads: 5 },
    { bucketStart: 99_000, shardletId: "a", client: "late", clientGroup: "g1", reads: 5 },
  ];

  it("counts distinct readers and shares per step", () => {
    const f = clientActivityFeatures(rows, { shardletId: "a", startMs: 0, stepMs: 10_000, steps: 2 });
    expect(f.distinctClients).toEqual([3, 0]); // c1 in two groups counts twice
    expect(f.distinctGroups).toEqual([2, 0]);
    expect(f.readShare).toEqual([10 / 20, 0]);
    expect(f.topGroupShare).toEqual([8 / 10, 0]);
  });
});

describe("co-access correlation", () => {
  it("computes Pearson's r with known values", () => {
    expect(pearson([1, 2, 3, 4], [2, 4, 6, 8])).toBeCloseTo(1, 12);
    expect(pearson([1, 2, 3, 4], [8, 6, 4, 2])).toBeCloseTo(-1, 12);
    expect(pearson([1, 2, 3], [1, 3, 2])).toBeCloseTo(0.5, 12);
    expect(pearson([1, 1, 1], [1, 2, 3])).toBe(0);
    expect(pearson([1], [1])).toBe(0);
  });

  it("ranks the strongest pairs and builds a partner-load covariate", () => {
    const series = new Map<string, number[]>([
      ["a", [1, 5, 1, 5, 1]],
      ["b", [2, 10, 2, 10, 2]],
      ["c", [5, 1, 5, 1, 5]],
      ["d", [1, 2, 3, 2, 1]],
    ]);
    const pairs = topCorrelatedPairs(series, { top: 3, minAbs: 0.9 });
    expect(pairs.map((p) => [p.a, p.b])).toEqual([
      ["a", "b"],
      ["a", "c"],
      ["b", "c"],
    ]);
    expect(pairs[0]!.r).toBeCloseTo(1, 12);
    expect(pairs[1]!.r).toBeCloseTo(-1, 12);
    // a's only positive partner is b (r = 1): the covariate is b's load.
    expect(coAccessLoad("a", series, { minAbs: 0.5 })).toEqual([2, 10, 2, 10, 2]);
    expect(coAccessLoad("d", series, { minAbs: 0.5 })).toEqual([0, 0, 0, 0, 0]);
  });
});

describe("hint rate per step", () => {
  const half = HASH_SPACE / 2;
  it("weights by hash-range overlap and by time overlap", () => {
    const hints = [
      // 100 ev/s over the whole space from 15 s to 35 s.
      { lo: 0, hi: HASH_SPACE, eventsPerSec: 100, startsAt: 15_000, endsAt: 35_000 },
      // 40 ev/s over the upper half for all of step 0 only.
      { lo: half, hi: HASH_SPACE, eventsPerSec: 40, startsAt: 0, endsAt: 10_000 },
      // Outside the range: ignored.
      { lo: 0, hi: half / 2, eventsPerSec: 1000, startsAt: 0, endsAt: 40_000 },
    ];
    // Shardlet = the upper half: gets half of hint 1, all of hint 2.
    const r = hintRatePerStep(hints, { lo: half, hi: HASH_SPACE }, { startMs: 0, stepMs: 10_000, steps: 4 });
    expect(r).toEqual([40, 25, 50, 25]);
    // A quarter of the space [0, 2^30) gets a quarter of hint 1 and all of hint 3.
    const q = hintRatePerStep(hints, { lo: 0, hi: half / 2 }, { startMs: 0, stepMs: 10_000, steps: 4 });
    expect(q).toEqual([1000, 1012.5, 1025, 1012.5]);
  });
});

describe("covariates", () => {
  it("builds step-major rows: calendar, observed carried forward, known as given", () => {
    const cov = buildCovariates({
      startMs: MONDAY,
      stepMs: HOUR,
      historyLength: 3,
      horizon: 2,
      observed: { z_obs: [1, 2, 3], a_obs: [7] },
      known: { hint: [0, 0, 0, 5, 5] },
    });
    expect(cov.names).toEqual(["hour_sin", "hour_cos", "dow_sin", "dow_cos", "a_obs", "z_obs", "hint"]);
    expect(cov.rows).toHaveLength(5);
    expect(cov.rows.map((r) => r[5])).toEqual([1, 2, 3, 3, 3]);
    expect(cov.rows.map((r) => r[4])).toEqual([0, 0, 7, 7, 7]); // short series padded at the front
    expect(cov.rows.map((r) => r[6])).toEqual([0, 0, 0, 5, 5]);
    expect(cov.rows[0]![0]).toBeCloseTo(Math.sin((2 * Math.PI * 0.5) / 24), 12);
  });

  it("assembles a shardlet's covariates and checks their span against the input", () => {
    const cov = shardletCovariates(
      {
        shardletId: "a",
        lo: 0,
        hi: HASH_SPACE / 2,
        load: [1, 2, 3, 4],
        streamLoad: [2, 4, 6, 8],
        peers: new Map([["b", [2, 4, 6, 8]]]),
        clients: [{ bucketStart: MONDAY, shardletId: "a", client: "c", clientGroup: "g", reads: 3 }],
        hints: [{ lo: 0, hi: HASH_SPACE, eventsPerSec: 10, startsAt: MONDAY + 4 * HOUR, endsAt: MONDAY + 6 * HOUR }],
      },
      { startMs: MONDAY, stepMs: HOUR, horizon: 2, popularityWindow: 2 },
    );
    const col = (name: string) => cov.rows.map((r) => r[cov.names.indexOf(name)]);
    expect(col("popularity")).toEqual([0.5, 0.5, 0.5, 0.5, 0.5, 0.5]);
    expect(col("distinct_clients")).toEqual([1, 0, 0, 0, 0, 0]);
    expect(col("co_access")).toEqual([2, 4, 6, 8, 8, 8]);
    expect(col("hint_rate")).toEqual([0, 0, 0, 0, 5, 5]);
    const input = withCovariates({ history: [1, 2, 3, 4], horizon: 2, period: 24 }, cov);
    expect(input.covariates).toHaveLength(6);
    expect(() => withCovariates({ history: [1, 2, 3], horizon: 2, period: 24 }, cov)).toThrow(RangeError);
  });
});
