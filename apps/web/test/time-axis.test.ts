import { describe, expect, it } from "vitest";
import { timeAxisTicks, timeTickFormatter, timeTicks } from "../src/components/charts/chart-style.ts";

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/** Local midnight of a day, whatever zone the tests run in. */
function localMidnight(year: number, month: number, day: number): number {
  return new Date(year, month, day).getTime();
}

describe("timeTickFormatter", () => {
  it("labels an axis within one day with the time of day, seconds only when ticks are seconds apart", () => {
    const start = new Date(2026, 2, 2, 10, 0, 0).getTime();
    const minutes = timeTickFormatter(start, start + 30 * MINUTE);
    expect(minutes(start + 5 * MINUTE)).toBe("10:05");
    const seconds = timeTickFormatter(start, start + 40_000);
    expect(seconds(start + 10_000)).toBe("10:00:10");
  });

  it("names the day on an axis that spans days, and only the day once ticks are days apart", () => {
    const start = new Date(2026, 2, 2, 18, 0, 0).getTime();
    const twoDays = timeTickFormatter(start, start + 30 * HOUR);
    expect(twoDays(new Date(2026, 2, 3, 6, 0, 0).getTime())).toBe("3 Mar, 06:00");
    const week = timeTickFormatter(start, start + 7 * DAY);
    expect(week(localMidnight(2026, 2, 5))).toBe("5 Mar");
  });

  it("falls back to the time of day for an axis of one point", () => {
    const t = new Date(2026, 2, 2, 9, 30, 15).getTime();
    expect(timeTickFormatter(t, t)(t)).toBe("09:30:15");
  });
});

describe("timeTicks on long spans", () => {
  it("puts day ticks on local midnights and hour ticks on the hour", () => {
    const from = new Date(2026, 2, 1, 13, 20).getTime();
    const days = timeTicks(from, from + 9 * DAY);
    expect(days.length).toBeGreaterThanOrEqual(3);
    for (const t of days) expect([new Date(t).getHours(), new Date(t).getMinutes()]).toEqual([0, 0]);
    const hours = timeTicks(from, from + 20 * HOUR);
    expect(hours.length).toBeGreaterThanOrEqual(3);
    for (const t of hours) expect(new Date(t).getMinutes()).toBe(0);
  });
});

describe("timeAxisTicks", () => {
  it("gives ticks and matching labels from the plotted times, in any order", () => {
    const start = new Date(2026, 2, 2, 10, 0, 7).getTime();
    const times = Array.from({ length: 300 }, (_, i) => start + i * 15_000).reverse();
    const { ticks, tickFormatter } = timeAxisTicks(times);
    expect(ticks.length).toBeGreaterThanOrEqual(3);
    expect(ticks.length).toBeLessThanOrEqual(7);
    expect(ticks.every((t) => t >= start && t <= start + 299 * 15_000)).toBe(true);
    expect(ticks.map(tickFormatter).every((label) => /^\d\d:\d\d$/.test(label))).toBe(true);
  });

  it("gives no ticks for no points", () => {
    expect(timeAxisTicks([]).ticks).toEqual([]);
  });
});
