import { describe, expect, it } from "vitest";
import {
  assignShardlets,
  clipCursor,
  commitCursor,
  cursorAhead,
  cursorCovers,
  cursorPosition,
  cursorSchema,
  decideCheckpoint,
  deriveCursor,
  forecastArrivalRate,
  freshCursor,
  joinCursors,
  laterCursor,
  maxCursor,
  parseConsumerSettings,
  type LineageShardlet,
} from "../src/index.ts";

describe("cursors", () => {
  it("commits raise every segment and join equal neighbours", () => {
    const merged = joinCursors(freshCursor(0, 100, 40), freshCursor(100, 200, 70));
    expect(cursorPosition(merged)).toBe(40);
    // Below both: nothing moves (a commit never lowers a position).
    expect(commitCursor(merged, 10)).toEqual(merged);
    // Between: only the lower segment moves.
    expect(commitCursor(merged, 55)).toEqual([
      { lo: 0, hi: 100, after: 55 },
      { lo: 100, hi: 200, after: 70 },
    ]);
    // Past both: one segment again.
    expect(commitCursor(merged, 80)).toEqual([{ lo: 0, hi: 200, after: 80 }]);
  });

  it("clips to a child's range and keeps the parent's positions there", () => {
    const parent = joinCursors(freshCursor(0, 100, 40), freshCursor(100, 200, 70));
    expect(clipCursor(parent, 50, 150)).toEqual([
      { lo: 50, hi: 100, after: 40 },
      { lo: 100, hi: 150, after: 70 },
    ]);
    expect(clipCursor(parent, 120, 200)).toEqual([{ lo: 120, hi: 200, after: 70 }]);
    expect(cursorCovers(clipCursor(parent, 50, 150), 50, 150)).toBe(true);
    expect(cursorCovers([{ lo: 0, hi: 10, after: 1 }, { lo: 20, hi: 30, after: 1 }], 0, 30)).toBe(false);
  });

  it("takes the pointwise maximum of a live and a durable cursor", () => {
    const live = [
      { lo: 0, hi: 50, after: 90 },
      { lo: 50, hi: 100, after: 30 },
    ];
    const durable = freshCursor(0, 100, 60);
    expect(maxCursor(live, durable)).toEqual([
      { lo: 0, hi: 50, after: 90 },
      { lo: 50, hi: 100, after: 60 },
    ]);
  });

  it("tells a cursor ahead of a checkpoint from one that is nowhere ahead, part by part", () => {
    const stored = joinCursors(freshCursor(0, 100, 80), freshCursor(100, 200, 40));
    // A Redis cursor that came back older is no progress, even where it is one segment again.
    expect(cursorAhead(freshCursor(0, 200, 0), stored)).toBe(false);
    expect(cursorAhead(freshCursor(0, 200, 40), stored)).toBe(false);
    expect(cursorAhead([...stored], stored)).toBe(false);
    // Ahead on one part is progress, although the position (the lowest part) did not move.
    expect(cursorAhead(freshCursor(0, 200, 41), stored)).toBe(true);
    expect(cursorAhead(joinCursors(freshCursor(0, 100, 90), freshCursor(100, 200, 40)), stored)).toBe(true);
    expect(laterCursor(freshCursor(0, 200, 60), stored)).toEqual([
      { lo: 0, hi: 100, after: 80 },
      { lo: 100, hi: 200, after: 60 },
    ]);
    expect(laterCursor(undefined, stored)).toBe(stored);
    expect(laterCursor(undefined, undefined)).toBeUndefined();
  });

  it("derives split children, merges and chains from lineage, never leaving a gap", () => {
    const shardlets = new Map<string, LineageShardlet>([
      ["p", { lo: 0, hi: 100, parentId: null, mergedFromId: null }],
      ["a", { lo: 0, hi: 60, parentId: "p", mergedFromId: null }],
      ["b", { lo: 60, hi: 100, parentId: "p", mergedFromId: null }],
      ["b1", { lo: 60, hi: 80, parentId: "b", mergedFromId: null }],
      ["m", { lo: 0, hi: 80, parentId: "a", mergedFromId: "b1" }],
      ["orphan", { lo: 100, hi: 200, parentId: "gone", mergedFromId: null }],
    ]);
    const cursors = new Map([
      ["p", freshCursor(0, 100, 500)],
      ["a", freshCursor(0, 60, 700)],
    ]);
    const ctx = { shardlets, cursors, start: 0 };
    expect(deriveCursor("b", ctx)).toEqual([{ lo: 60, hi: 100, after: 500 }]);
    expect(deriveCursor("b1", ctx)).toEqual([{ lo: 60, hi: 80, after: 500 }]);
    // The merge keeps each parent's own position side by side.
    expect(deriveCursor("m", ctx)).toEqual([
      { lo: 0, hi: 60, after: 700 },
      { lo: 60, hi: 80, after: 500 },
    ]);
    // Unknown lineage starts at the group's start over the whole range.
    expect(deriveCursor("orphan", { ...ctx, start: 42 })).toEqual([{ lo: 100, hi: 200, after: 42 }]);
    // A cycle in broken lineage data ends at the start instead of hanging.
    const loop = new Map<string, LineageShardlet>([
      ["x", { lo: 0, hi: 10, parentId: "y", mergedFromId: null }],
      ["y", { lo: 0, hi: 10, parentId: "x", mergedFromId: null }],
    ]);
    expect(deriveCursor("x", { shardlets: loop, cursors: new Map(), start: 7 })).toEqual([{ lo: 0, hi: 10, after: 7 }]);
  });

  it("validates stored cursors", () => {
    expect(cursorSchema.safeParse([{ lo: 0, hi: 10, after: 1 }]).success).toBe(true);
    expect(cursorSchema.safeParse([{ lo: 10, hi: 0, after: 1 }]).success).toBe(false);
    expect(cursorSchema.safeParse([{ lo: 0, hi: 10, after: 1 }, { lo: 12, hi: 20, after: 1 }]).success).toBe(false);
    expect(cursorSchema.safeParse([]).success).toBe(false);
  });
});

describe("assignShardlets", () => {
  const members = (...ids: string[]) => ids.map((id) => ({ id }));
  const shardlets = (n: number, load = 10) => Array.from({ length: n }, (_, i) => ({ id: `s${String(i).padStart(2, "0")}`, load }));

  it("spreads shardlets evenly and is deterministic", () => {
    const a = assignShardlets({ members: members("m1", "m2", "m3"), shardlets: shardlets(9), current: new Map() });
    const b = assignShardlets({ members: members("m3", "m1", "m2"), shardlets: [...shardlets(9)].reverse(), current: new Map() });
    expect([...a.assignment].sort()).toEqual([...b.assignment].sort());
    const counts = new Map<string, number>();
    for (const m of a.assignment.values()) counts.set(m, (counts.get(m) ?? 0) + 1);
    expect([...counts.values()]).toEqual([3, 3, 3]);
  });

  it("moves only what balance needs when a member joins, and only the leaver's shardlets when one leaves", () => {
    const first = assignShardlets({ members: members("m1", "m2"), shardlets: shardlets(8), current: new Map() }).assignment;
    const joined = assignShardlets({ members: members("m1", "m2", "m3"), shardlets: shardlets(8), current: first });
    const movedOnJoin = [...joined.assignment].filter(([s, m]) => first.get(s) !== m);
    expect(movedOnJoin.every(([, m]) => m === "m3")).toBe(true);
    expect(movedOnJoin.length).toBeGreaterThanOrEqual(2);
    expect(movedOnJoin.length).toBeLessThanOrEqual(3);
    const left = assignShardlets({ members: members("m1", "m3"), shardlets: shardlets(8), current: joined.assignment });
    for (const [s, m] of joined.assignment) if (m !== "m2") expect(left.assignment.get(s)).toBe(m);
  });

  it("balances by load, not by count", () => {
    const loads = [{ id: "hot", load: 900 }, ...Array.from({ length: 9 }, (_, i) => ({ id: `cold${i}`, load: 100 }))];
    const r = assignShardlets({ members: members("a", "b"), shardlets: loads, current: new Map() });
    const load = (m: string) => loads.filter((s) => r.assignment.get(s.id) === m).reduce((n, s) => n + s.load, 0);
    // 1,800 in all: each member near 900, although one holds one shardlet and the other nine.
    expect(Math.abs(load("a") - load("b"))).toBeLessThanOrEqual(200);
    const holder = r.assignment.get("hot")!;
    expect(loads.filter((s) => r.assignment.get(s.id) === holder)).toHaveLength(1);
  });

  it("gives split children to their parent's holder", () => {
    const current = new Map([
      ["p", "m2"],
      ["q", "m1"],
    ]);
    const r = assignShardlets({
      members: members("m1", "m2"),
      shardlets: [
        { id: "q", load: 10 },
        { id: "c1", load: 5, parents: ["p"] },
        { id: "c2", load: 5, parents: ["p"] },
      ],
      current,
    });
    expect(r.assignment.get("c1")).toBe("m2");
    expect(r.assignment.get("c2")).toBe("m2");
    expect(r.assignment.get("q")).toBe("m1");
  });

  it("assigns nothing without members", () => {
    expect(assignShardlets({ members: [], shardlets: shardlets(3), current: new Map() }).assignment.size).toBe(0);
  });
});

describe("decideCheckpoint", () => {
  const settings = parseConsumerSettings({ checkpointThresholdSec: 30, predictionHorizonSec: 60, maxReplaySec: 120, fixedIntervalSec: 30 });
  const base = { mode: "predictive" as const, settings, secondsSinceCheckpoint: 10, replaySecPerEvent: 0.001, decisionIntervalSec: 5, progressed: true };

  it("checkpoints when the predicted replay passes the threshold, with the reason", () => {
    const d = decideCheckpoint({ ...base, eventsSinceCheckpoint: 12_000, forecastRate: 500 });
    expect(d).toMatchObject({ checkpoint: true, trigger: "predicted", reason: "predicted replay 42 s > 30 s" });
  });

  it("leaves a quiet shardlet alone and a shardlet without progress too", () => {
    expect(decideCheckpoint({ ...base, eventsSinceCheckpoint: 20, forecastRate: 0.1 }).checkpoint).toBe(false);
    expect(decideCheckpoint({ ...base, eventsSinceCheckpoint: 1e6, forecastRate: 1e4, progressed: false }).checkpoint).toBe(false);
  });

  it("honours the bound in every mode, also when the forecast lags a surge", () => {
    const surge = { ...base, eventsSinceCheckpoint: 100_000, forecastRate: 10, recentRate: 5_000 };
    expect(decideCheckpoint(surge)).toMatchObject({ checkpoint: true, trigger: "bound" });
    expect(decideCheckpoint({ ...surge, mode: "fixed", secondsSinceCheckpoint: 1 })).toMatchObject({ checkpoint: true, trigger: "bound" });
    expect(decideCheckpoint({ ...base, mode: "fixed", eventsSinceCheckpoint: 10, forecastRate: 1, secondsSinceCheckpoint: 31 })).toMatchObject({ checkpoint: true, trigger: "interval" });
  });

  it("forecasts arrivals from history and never below zero", () => {
    expect(forecastArrivalRate([], { stepSec: 10, horizonSec: 60 })).toBe(0);
    const flat = forecastArrivalRate(Array.from({ length: 60 }, () => 200), { stepSec: 10, horizonSec: 60 });
    expect(flat).toBeGreaterThan(190);
    expect(flat).toBeLessThan(210);
    const falling = forecastArrivalRate(Array.from({ length: 60 }, (_, i) => Math.max(0, 600 - i * 12)), { stepSec: 10, horizonSec: 600 });
    expect(falling).toBeGreaterThanOrEqual(0);
  });

  it("refuses settings whose bound is below the threshold", () => {
    expect(() => parseConsumerSettings({ checkpointThresholdSec: 60, maxReplaySec: 30 })).toThrow(/at least the checkpoint threshold/);
  });
});

describe("deriveCursor over long lineage", () => {
  it("follows many rounds of split-and-merge in linear time", () => {
    // Every round splits the shardlet in two and merges the halves back: 2^rounds paths lead to
    // the first ancestor, which only a memo keeps from being walked that often.
    const shardlets = new Map<string, LineageShardlet>([["r0", { lo: 0, hi: 100, parentId: null, mergedFromId: null }]]);
    const rounds = 40;
    for (let i = 0; i < rounds; i++) {
      shardlets.set(`a${i}`, { lo: 0, hi: 50, parentId: `r${i}`, mergedFromId: null });
      shardlets.set(`b${i}`, { lo: 50, hi: 100, parentId: `r${i}`, mergedFromId: null });
      shardlets.set(`r${i + 1}`, { lo: 0, hi: 100, parentId: `a${i}`, mergedFromId: `b${i}` });
    }
    const t0 = performance.now();
    const c = deriveCursor(`r${rounds}`, { shardlets, cursors: new Map([["r0", freshCursor(0, 100, 9)]]), start: 0 });
    expect(performance.now() - t0).toBeLessThan(1_000);
    // Deeper than the guard: the oldest part of the chain is not followed, and the cursor falls
    // back to the start (a re-read, never a skip).
    expect(c).toEqual([{ lo: 0, hi: 100, after: 0 }]);
    const near = deriveCursor(`r${rounds}`, { shardlets, cursors: new Map([[`a${rounds - 3}`, freshCursor(0, 50, 77)]]), start: 5 });
    expect(near).toEqual([
      { lo: 0, hi: 50, after: 77 },
      { lo: 50, hi: 100, after: 5 },
    ]);
  });

  it("keeps the positions of a part only one of two cursors covers", () => {
    expect(maxCursor(freshCursor(0, 50, 10), freshCursor(50, 100, 20))).toEqual([
      { lo: 0, hi: 50, after: 10 },
      { lo: 50, hi: 100, after: 20 },
    ]);
    expect(cursorPosition(freshCursor(0, 10, 3))).toBe(3);
  });
});
