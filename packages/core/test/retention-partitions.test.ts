import { describe, expect, it } from "vitest";
import { dropCandidate, partitionFor, partitionsAhead, parseRetentionSettings, sizeCutoffSec, streamCutoffSec } from "../src/index.ts";

describe("time partitions", () => {
  it("align a new partition to the span and clip it to the gap between existing ones", () => {
    expect(partitionFor(7_205, 3_600, [])).toEqual({ lo: 7_200, hi: 10_800 });
    // A span changed since: the next partition starts where the last one ended.
    expect(partitionFor(7_205, 3_600, [{ lo: 5_000, hi: 7_500 }])).toBeNull();
    expect(partitionFor(7_600, 3_600, [{ lo: 5_000, hi: 7_500 }, { lo: 9_000, hi: 12_000 }])).toEqual({ lo: 7_500, hi: 9_000 });
    // Below the first time partition lies the legacy one.
    expect(partitionFor(0, 60, [{ lo: -Infinity, hi: 1 }])).toBeNull();
    expect(partitionFor(30, 60, [{ lo: -Infinity, hi: 1 }])).toEqual({ lo: 1, hi: 60 });
  });

  it("make the present span and the ones ahead, once", () => {
    expect(partitionsAhead(100, 10, 2, [{ lo: 100, hi: 110 }])).toEqual([
      { lo: 110, hi: 120 },
      { lo: 120, hi: 130 },
    ]);
  });

  it("let a size cap keep the newest partitions that fit", () => {
    const parts = [
      { lo: 0, hi: 10, bytes: 500 },
      { lo: 10, hi: 20, bytes: 500 },
      { lo: 20, hi: 30, bytes: 400 },
    ];
    expect(sizeCutoffSec(parts, 2_000)).toBeNull();
    expect(sizeCutoffSec(parts, 950)).toBe(10);
    expect(sizeCutoffSec(parts, 850)).toBe(20);
    // The newest partition takes the present's writes: kept whole even past the cap.
    expect(sizeCutoffSec(parts, 300)).toBe(20);
    expect(sizeCutoffSec(parts.slice(2), 300)).toBeNull();
    // Two hosts' ranges of one span count together.
    expect(sizeCutoffSec([...parts, { lo: 20, hi: 30, bytes: 400 }], 900)).toBe(20);
    expect(streamCutoffSec(10_000, { retentionHours: 1 }, null)).toBe(6_400);
    expect(streamCutoffSec(10_000, { retentionHours: 1 }, 9_000)).toBe(9_000);
  });

  it("drop a partition only past the cutoff of every stream that may have rows in it", () => {
    const cutoffs = new Map([
      ["short", 1_000],
      ["long", 100],
    ]);
    expect(dropCandidate({ lo: 0, hi: 50 }, 2_000, cutoffs)).toEqual({ candidate: true, blocking: [] });
    expect(dropCandidate({ lo: 500, hi: 600 }, 2_000, cutoffs)).toEqual({ candidate: true, blocking: ["long"] });
    expect(dropCandidate({ lo: 1_900, hi: 2_100 }, 2_000, cutoffs).candidate).toBe(false);
  });

  it("default to six-hour partitions and refuse a span under a second", () => {
    expect(parseRetentionSettings(undefined)).toEqual({ enabled: true, partitionSpanSec: 21_600, partitionsAhead: 2, maxDropsPerRun: 16 });
    expect(() => parseRetentionSettings({ partitionSpanSec: 0 })).toThrow(/at least 1 second/);
  });
});
