import { describe, expect, it } from "vitest";
import { parseCapacitySettings, planCapacity, rankQuantile, surgeFactor, type CapacityHost } from "../src/index.ts";

/** Bursts from a quiet baseline: 100 events/s for five hours, then 400 for three, over and over. */
function bursty(steps: number): number[] {
  return Array.from({ length: steps }, (_, t) => (t % 8 < 5 ? 100 : 400));
}

/** A regular daily cycle: 1000 +- 300 events/s, hourly. */
function daily(steps: number): number[] {
  return Array.from({ length: steps }, (_, t) => 1000 + 300 * Math.sin((2 * Math.PI * t) / 24));
}

describe("rankQuantile", () => {
  it("takes the nearest rank and leaves its input as it is", () => {
    const v = [5, 1, 4, 2, 3];
    expect(rankQuantile(v, 0.5)).toBe(3);
    expect(rankQuantile(v, 0.9)).toBe(5);
    expect(rankQuantile(v, 0)).toBe(1);
    expect(rankQuantile([], 0.9)).toBe(0);
    expect(v).toEqual([5, 1, 4, 2, 3]);
  });
});

describe("surgeFactor", () => {
  it("learns from a trough that the load may climb to the burst within the lead, and from a burst that it will not", () => {
    const h = bursty(24 * 14);
    // The history ends at a trough step; a quarter of past trough steps had a burst next.
    const trough = surgeFactor(h.slice(0, 24 * 14 - 4), 100, { leadSteps: 1, quantile: 0.9, levelSteps: 24 });
    expect(trough.factor).toBeCloseTo(4, 6);
    expect(trough.relative).toBeLessThan(1);
    expect(trough.samples).toBeGreaterThanOrEqual(48);
    // In a burst the coming peak is the burst itself: no headroom beyond the load already there.
    const peak = surgeFactor(h.slice(0, 24 * 14 - 1), 400, { leadSteps: 1, quantile: 0.9, levelSteps: 24 });
    expect(peak.factor).toBe(1);
    expect(peak.relative).toBeGreaterThan(1);
  });

  it("reads the quantile asked for: at the median a burst one step in five is not the coming peak", () => {
    const h = bursty(24 * 14).slice(0, 24 * 14 - 4);
    expect(surgeFactor(h, 100, { leadSteps: 1, quantile: 0.5, levelSteps: 24 }).factor).toBe(1);
    // A longer lead sees more bursts ahead: four trough steps out of five have one within four steps.
    expect(surgeFactor(h, 100, { leadSteps: 4, quantile: 0.5, levelSteps: 24 }).factor).toBeCloseTo(4, 6);
  });

  it("stays near 1 on a regular daily cycle, at its trough as at its peak", () => {
    const h = daily(24 * 14);
    for (const end of [24 * 13 + 18, 24 * 13 + 6]) {
      const f = surgeFactor(h.slice(0, end), h[end]!, { leadSteps: 2, quantile: 0.9, levelSteps: 24 }).factor;
      expect(f).toBeGreaterThanOrEqual(1);
      expect(f).toBeLessThan(1.2);
    }
  });

  it("is 1 with too little history, no quantile or no load, and never above its cap", () => {
    expect(surgeFactor(bursty(60), 100, { leadSteps: 1, quantile: 0.9, levelSteps: 24 })).toMatchObject({ factor: 1, samples: 0 });
    expect(surgeFactor(bursty(24 * 14), 100, { leadSteps: 1, quantile: 0, levelSteps: 24 }).factor).toBe(1);
    expect(surgeFactor(bursty(24 * 14), 0, { leadSteps: 1, quantile: 0.9, levelSteps: 24 }).factor).toBe(1);
    const h = bursty(24 * 14).slice(0, 24 * 14 - 4);
    expect(surgeFactor(h, 100, { leadSteps: 1, quantile: 0.9, levelSteps: 24, cap: 2.5 }).factor).toBe(2.5);
  });
});

describe("planCapacity: a drain leaves room for the coming peak", () => {
  const hosts = (n: number): CapacityHost[] => Array.from({ length: n }, (_, i) => ({ id: `h${i + 1}`, status: "active" as const, capacityEventsPerSec: 1000, sizeBytes: 1024 ** 3 + i }));
  const settings = parseCapacitySettings({ targetUtilization: 0.8, scaleInUtilization: 0.55, bandUtilization: 0.85, copyBytesPerSec: 1024 ** 2, marginSec: 600 });
  // Three hosts, 500 events/s now and forecast: two hosts would run at 25%, well below the scale-in.
  const base = { nowMs: 0, stepMs: 3_600_000, hosts: hosts(3), settings, forecast: new Array<number>(48).fill(500), observed: 500 };

  it("drains in a trough of regular load", () => {
    expect(planCapacity(base).drain).not.toBeNull();
    expect(planCapacity({ ...base, history: new Array<number>(24 * 14).fill(500) }).drain).not.toBeNull();
  });

  it("keeps the host when the load has climbed from such a trough to more than the rest carry within a host's lead", () => {
    // A quarter of past trough hours had a fourfold burst the next hour: 2000 events/s, more than
    // two hosts carry at 85%. The lead here (300 s provisioning, three quarters of a GiB to copy, 600 s margin) is within an hour.
    const history = Array.from({ length: 24 * 14 - 4 }, (_, t) => (t % 8 < 5 ? 500 : 2000));
    const plan = planCapacity({ ...base, history });
    expect(plan.drain).toBeNull();
    expect(plan.add).toBeNull();
    expect(plan.notes.join("\n")).toMatch(/no host is drained: from \d+% of its day's level the load has climbed x4\.00 within a host's lead/);
    // Bursts the two hosts would carry (1.5x: 750 events/s) do not keep it.
    const mild = history.map((v) => (v > 500 ? 750 : v));
    expect(planCapacity({ ...base, history: mild }).drain).not.toBeNull();
  });
});
