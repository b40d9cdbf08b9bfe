import { describe, expect, it } from "vitest";
import { analyzeLoad, holtWinters, type AnalyzerInput } from "../src/index.ts";
import { flat, host, linearTrend, settings, shardlet } from "./analyzer-fixtures.ts";

const BUCKET_MS = 10_000;

function input(over: Partial<AnalyzerInput>): AnalyzerInput {
  return {
    now: 1_700_000_000_000,
    bucketMs: BUCKET_MS,
    horizonSteps: 30,
    period: 60,
    hosts: [host("h1", { capacityEventsPerSec: 100_000 }), host("h2", { capacityEventsPerSec: 100_000 })],
    shardlets: [],
    splitWriteRate: 2000,
    splitFullness: 0.8,
    forecaster: linearTrend(),
    settings: settings(),
    ...over,
  };
}

describe("analyzeLoad: predicted splits", () => {
  it("proposes a ramping shardlet for split before it crosses the threshold, with the time left as urgency", () => {
    // 100, 150, ... 1050 events/s over 20 buckets: 50 events/s more every 10 s.
    const ramp = Array.from({ length: 20 }, (_, i) => 100 + 50 * i);
    const out = analyzeLoad(input({ shardlets: [shardlet("hot", "h1", ramp), shardlet("calm", "h2", flat(300, 20))] }));
    // Still far below the threshold now...
    expect(ramp[ramp.length - 1]).toBeLessThan(2000);
    // ...but the line reaches 2000 events/s 19 buckets after the last observation (at its midpoint),
    // i.e. 18.5 buckets from now: 185 s.
    expect(out.splits).toHaveLength(1);
    const split = out.splits[0]!;
    expect(split.shardletId).toBe("hot");
    expect(split.urgencySec).toBe(185);
    expect(split.predictedPeak).toBeCloseTo(1050 + 50 * 30, 6);
    expect(split.reason).toContain("in 3 min 5 s");
    expect(out.ranking[0]).toMatchObject({ shardletId: "hot", overloadInSec: 185, threshold: 2000 });
    expect(out.ranking[0]!.score).toBeCloseTo(2550 / 2000, 6);
    expect(out.ranking[1]).toMatchObject({ shardletId: "calm", overloadInSec: null });
    expect(out.forecasts.get("hot")).toHaveLength(30);
  });

  it("plans a shardlet whose forecast is untrusted on its observed rate: no predicted split, a note saying why, the model's forecast kept apart", () => {
    const ramp = Array.from({ length: 20 }, (_, i) => 100 + 50 * i);
    const why = "the last 3 actuals each missed the forecast by more than 3.0x the naive one-step error";
    const out = analyzeLoad(input({ shardlets: [shardlet("hot", "h1", ramp, { hints: [0, 1200] })], untrusted: new Map([["hot", why]]) }));
    expect(out.splits).toEqual([]);
    // The observed 1,050 events/s held flat, raised where a client hint promises more.
    expect(out.forecasts.get("hot")).toEqual([1050, 1200, ...new Array<number>(28).fill(1050)]);
    expect(out.ranking[0]).toMatchObject({ shardletId: "hot", overloadInSec: null, predictedPeak: 1200 });
    expect(out.modelForecasts.get("hot")?.[29]).toBeCloseTo(1050 + 50 * 30, 6);
    const note = out.notes.find((n) => n.shardletId === "hot");
    expect(note?.message).toContain(`its forecast is not trusted (${why})`);
    expect(note?.details).toEqual({ untrusted: why });
    // Trusted again, the same history is proposed as before.
    expect(analyzeLoad(input({ shardlets: [shardlet("hot", "h1", ramp)], untrusted: new Map() })).splits).toHaveLength(1);
  });

  it("counts the overload fraction: at 0.5 the same ramp is due 100 s sooner", () => {
    const ramp = Array.from({ length: 20 }, (_, i) => 100 + 50 * i);
    const out = analyzeLoad(input({ shardlets: [shardlet("hot", "h1", ramp)], settings: settings({ overloadFraction: 0.5 }) }));
    // 1000 events/s is reached just before the last observation's level: 1050 is at -0.5 buckets.
    expect(out.splits[0]?.urgencySec).toBe(0);
    const later = analyzeLoad(input({ shardlets: [shardlet("hot", "h1", ramp.map((v) => v / 2))], settings: settings({ overloadFraction: 0.5 }) }));
    // Half the ramp (25 events/s per bucket from 525) reaches 1000 after 19 buckets: 185 s.
    expect(later.splits[0]?.urgencySec).toBe(185);
  });

  it("proposes the split with the stock Holt-Winters model, ahead of the crossing", () => {
    const ramp = Array.from({ length: 40 }, (_, i) => 200 + 40 * i); // 1760 events/s now, +40 per bucket
    const out = analyzeLoad(input({ shardlets: [shardlet("hot", "h1", ramp)], forecaster: holtWinters() }));
    expect(out.splits.map((s) => s.shardletId)).toEqual(["hot"]);
    // The line crosses 2000 events/s 6 buckets after the last point (55 s from now); a damped trend may take longer.
    expect(out.splits[0]!.urgencySec).toBeGreaterThanOrEqual(40);
    expect(out.splits[0]!.urgencySec).toBeLessThanOrEqual(300);
  });

  it("splits on forecast fullness: writes x bytes per event fill the shardlet", () => {
    // 100 events/s of 1 KiB: 1 MB every 10 s; 6 MiB stored of 10 MiB, split at 80% (8 MiB): ~20 s.
    const s = shardlet("filling", "h1", flat(100, 20), { sizeBytes: 6 * 1024 * 1024, bytesPerEvent: 1024 });
    const out = analyzeLoad(input({ shardlets: [s] }));
    expect(out.splits).toHaveLength(1);
    expect(out.splits[0]!.urgencySec).toBeCloseTo(20.48, -1);
    expect(out.splits[0]!.reason).toMatch(/forecast size reaches 80% of its 10 MiB capacity/);
  });

  it("raises the forecast to client hints: a hinted burst is split ahead of any observed load", () => {
    const hints = new Array<number>(30).fill(0).map((_, i) => (i >= 12 ? 5000 : 0));
    const out = analyzeLoad(input({ shardlets: [shardlet("hinted", "h1", flat(50, 20), { hints })] }));
    expect(out.forecasts.get("hinted")![11]).toBeCloseTo(50, 6);
    expect(out.forecasts.get("hinted")![12]).toBe(5000);
    expect(out.splits.map((s) => s.shardletId)).toEqual(["hinted"]);
    // From 50 at 11.5 buckets to 5000 at 12.5: 2000 is passed at 11.89 buckets.
    expect(out.splits[0]!.urgencySec).toBe(119);
  });

  it("leaves busy and unsplittable shardlets out, with a note saying why", () => {
    const ramp = Array.from({ length: 20 }, (_, i) => 500 + 100 * i);
    const out = analyzeLoad(
      input({
        shardlets: [shardlet("busy", "h1", ramp), shardlet("narrow", "h1", ramp, { splittable: false }), shardlet("ok", "h2", ramp)],
        busy: new Set(["busy"]),
      }),
    );
    expect(out.splits.map((s) => s.shardletId)).toEqual(["ok"]);
    expect(out.notes.find((n) => n.shardletId === "busy")?.message).toMatch(/a job already holds it/);
    expect(out.notes.find((n) => n.shardletId === "narrow")?.message).toMatch(/too narrow to split/);
  });

  it("caps proposals per run and keeps the most urgent", () => {
    const shardlets = Array.from({ length: 6 }, (_, k) => shardlet(`s${k}`, "h1", Array.from({ length: 20 }, (_, i) => 100 + (20 + 10 * k) * i)));
    const out = analyzeLoad(input({ shardlets, settings: settings({ maxProposals: 2 }) }));
    // Slopes of 40 to 70 events/s per bucket reach 2000 within the horizon; 20 and 30 do not.
    expect(out.ranking.filter((r) => r.overloadInSec !== null).map((r) => r.shardletId)).toEqual(["s5", "s4", "s3", "s2"]);
    expect(out.splits.map((s) => s.shardletId)).toEqual(["s5", "s4"]);
    expect(out.notes.filter((n) => /more than 2 proposals/.test(n.message)).map((n) => n.shardletId)).toEqual(["s3", "s2"]);
  });

  it("proposes nothing for flat load below the thresholds", () => {
    const shardlets = [shardlet("a", "h1", flat(400)), shardlet("b", "h2", flat(400)), shardlet("c", "h1", flat(10)), shardlet("d", "h2", flat(10))];
    const out = analyzeLoad(input({ shardlets, hosts: [host("h1"), host("h2")] }));
    expect(out.splits).toEqual([]);
    expect(out.moves).toEqual([]);
    expect(out.addHost).toBeNull();
    expect(out.ranking.every((r) => r.overloadInSec === null && r.score < 1)).toBe(true);
    expect(out.forecasts.get("a")).toEqual(flat(400, 30));
  });

  it("carries the last rate forward when the model throws, and says so", () => {
    const broken = { kind: "lstm" as const, forecast: () => { throw new Error("model not loaded"); } };
    const out = analyzeLoad(input({ shardlets: [shardlet("a", "h1", flat(123, 5))], forecaster: broken }));
    expect(out.forecasts.get("a")).toEqual(flat(123, 30));
    expect(out.notes[0]!.message).toContain("model not loaded");
  });
});
