import { describe, expect, it } from "vitest";
import { extent, timeTicks } from "../src/components/charts/chart-style.ts";
import { readableNumber, summariseDetail } from "../src/components/detail-value.ts";

describe("timeTicks", () => {
  it("puts a handful of round times on an axis however many points it has", () => {
    const start = Date.UTC(2024, 0, 1, 10, 0, 7);
    const points = Array.from({ length: 200 }, (_, i) => start + i * 18_000);
    const [lo, hi] = extent(points);
    const ticks = timeTicks(lo, hi);
    expect(ticks.length).toBeGreaterThanOrEqual(3);
    expect(ticks.length).toBeLessThanOrEqual(7);
    expect(ticks.every((t) => t >= lo && t <= hi && t % 60_000 === 0)).toBe(true);
  });

  it("gives the single time of a one-point axis", () => {
    expect(timeTicks(5000, 5000)).toEqual([5000]);
  });
});

describe("summariseDetail", () => {
  it("rounds fractions and groups whole numbers", () => {
    expect(readableNumber(21.77188762024329)).toBe("21.77");
    expect(readableNumber(0.123456)).toBe("0.123");
    expect(readableNumber(12345)).toBe("12,345");
    expect(summariseDetail(21.77188762024329)).toEqual({ text: "21.77", title: "21.77188762024329" });
  });

  it("counts nested arrays and keeps the full JSON for the tooltip", () => {
    const s = summariseDetail([{ cost: 21.77188762024329 }, { cost: 3 }, { cost: 4 }]);
    expect(s.text).toBe("3 items");
    expect(s.nested).toBe(true);
    expect(s.title).toContain("21.77188762024329");
  });

  it("shows a small flat object inline and counts what it leaves out", () => {
    expect(summariseDetail({ hits: 0, alerts: 0 }).text).toBe("hits 0 · alerts 0");
    expect(summariseDetail({ hits: 0, alerts: 0, precision: 0.7512, recall: 0.6 }).text).toBe("hits 0 · alerts 0 · precision 0.751 · +1 more");
  });
});
