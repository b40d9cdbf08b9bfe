import { describe, expect, it } from "vitest";
import { analyzeLoad, type AnalyzerInput } from "../src/index.ts";
import { flat, host, linearTrend, settings, shardlet } from "./analyzer-fixtures.ts";

function input(over: Partial<AnalyzerInput>): AnalyzerInput {
  return {
    now: 1_700_000_000_000,
    bucketMs: 10_000,
    horizonSteps: 30,
    period: 60,
    hosts: [host("h1"), host("h2")],
    shardlets: [],
    splitWriteRate: 100_000,
    splitFullness: 0.8,
    forecaster: linearTrend(),
    settings: settings(),
    ...over,
  };
}

describe("analyzeLoad: scale signal", () => {
  it("proposes a host when the forecast cluster load passes the scale-out fraction of capacity", () => {
    // Two hosts of 1000 events/s; four shardlets each ramping 10 events/s per bucket from 200 to 390 now:
    // the cluster is at 1560 and adds 40 events/s per bucket; 85% of 2000 = 1700 is passed after 3.5 buckets.
    const ramp = Array.from({ length: 20 }, (_, i) => 200 + 10 * i);
    const shardlets = ["a", "b", "c", "d"].map((id, i) => shardlet(id, i < 2 ? "h1" : "h2", ramp));
    const out = analyzeLoad(input({ shardlets }));
    expect(out.addHost).not.toBeNull();
    const add = out.addHost!;
    expect(add.capacity).toBe(2000);
    expect(add.forecastClusterLoad).toHaveLength(30);
    expect(add.forecastClusterLoad[0]).toBeCloseTo(1600, 6);
    expect(add.forecastClusterLoad[29]).toBeCloseTo(1560 + 40 * 30, 6);
    // From 1560 at -0.5 buckets, +40 per bucket: 1700 at 3 buckets = 30 s.
    expect(add.urgencySec).toBe(30);
    expect(add.reason).toMatch(/forecast cluster write rate reaches 1.7k events\/s \(85% of the 2 active hosts' 2.0k events\/s\) in 30 s/);
  });

  it("proposes a host when forecast stored data passes the fraction of the hosts' bytes", () => {
    const GiB = 1024 ** 3;
    const hosts = [host("h1", { capacityBytes: 10 * GiB }), host("h2", { capacityBytes: 10 * GiB })];
    // 16 GiB stored of 20; 100 events/s of 1 MiB: +1000 MiB per bucket; 17 GiB (85%) in ~10.5 s.
    const shardlets = [shardlet("a", "h1", flat(100), { sizeBytes: 16 * GiB, capacityBytes: 1000 * GiB, bytesPerEvent: 1024 * 1024 })];
    const out = analyzeLoad(input({ hosts, shardlets }));
    expect(out.addHost?.capacityBytes).toBe(20 * GiB);
    expect(out.addHost?.urgencySec).toBe(10);
    expect(out.addHost?.reason).toMatch(/forecast stored data reaches 17 GiB/);
    expect(out.addHost?.forecastClusterBytes?.[0]).toBe(16 * GiB + 1000 * 1024 * 1024);
  });

  it("stays quiet while the forecast fits, and counts only active hosts' capacity", () => {
    const shardlets = [shardlet("a", "h1", flat(800)), shardlet("b", "h2", flat(800))];
    expect(analyzeLoad(input({ shardlets })).addHost).toBeNull();
    // The same load with one of two hosts down: 1600 of 1000 events/s.
    const out = analyzeLoad(input({ shardlets, hosts: [host("h1"), host("h2", { status: "down" })] }));
    expect(out.addHost).toMatchObject({ capacity: 1000, urgencySec: 0 });
  });

  it("is deterministic: the same input gives the same output", () => {
    const shardlets = ["a", "b", "c"].map((id, i) => shardlet(id, `h${(i % 2) + 1}`, Array.from({ length: 20 }, (_, t) => 100 * (i + 1) + 7 * t)));
    const a = analyzeLoad(input({ shardlets }));
    const b = analyzeLoad(input({ shardlets }));
    expect(JSON.stringify({ ...a, forecasts: [...a.forecasts] })).toBe(JSON.stringify({ ...b, forecasts: [...b.forecasts] }));
  });
});
