import { describe, expect, it } from "vitest";
import { decidePinning, decidePlacement, decideReplication, leaveReason, parsePlacementSettings, PlacementBandit, type PlacementArm } from "../src/index.ts";

const settings = parsePlacementSettings({ leaveReward: 0.33, exploration: 0.5, minArchiveBytes: 1000, replicaMinReadsPerSec: 100, maxReplicas: 2, maxPins: 2 });

/**
 * A bandit where `arm` earned more than the bar on average but leave still wins on its wide
 * exploration bonus: the case whose old reason read "arm's bound 0.68 is below the bar 0.33".
 */
function leaveWinsOverABetterMean(context: string, arm: PlacementArm): PlacementBandit {
  const bandit = new PlacementBandit({ exploration: 0.5 });
  for (let i = 0; i < 20; i++) bandit.reward(context, arm, 0.4);
  bandit.reward(context, "leave", 0.33);
  return bandit;
}

/** Every number the reason compares must agree with its words: each beaten bound below leave's. */
function expectConsistent(reason: string): void {
  const leave = /below leave's bound (\d+\.\d+)/.exec(reason);
  expect(leave, reason).not.toBeNull();
  const beaten = [...reason.matchAll(/([\w-]+)'s bound (\d+\.\d+)/g)].filter((m) => m[1] !== "leave");
  expect(beaten.length).toBeGreaterThan(0);
  for (const m of beaten) expect(Number(m[2])).toBeLessThan(Number(leave![1]));
  expect(reason).not.toMatch(/below the bar/);
  const parts = /its mean (\d+\.\d+) plus an exploration bonus of (\d+\.\d+)/.exec(reason);
  expect(parts, reason).not.toBeNull();
  expect(Number(parts![1]) + Number(parts![2])).toBeCloseTo(Number(leave![1]), 1);
}

describe("leave's reason", () => {
  it("replication: names the bound leave beat, not the bar, when replicate's bound is above the bar", () => {
    const ctx = "reads:hot groups:some";
    const d = decideReplication(leaveWinsOverABetterMean(ctx, "replicate"), [{ shardletId: "a", readsPerSec: 500, groups: 1 }], [], settings, { otherHosts: 1 });
    expect(d[0]).toMatchObject({ arm: "leave" });
    expect(d[0]!.reason).toMatch(/^leave: replicate's bound 0\.\d\d is below leave's bound 1\.\d\d in reads:hot groups:some/);
    expectConsistent(d[0]!.reason);
  });

  it("placement: archive's bound against leave's", () => {
    const ctx = "reads:none groups:none";
    const state = { shardletId: "s", reads: 0, groups: 0, lowestPosition: null, lowestRead: null, archivableBytes: 10_000, archiveUpTo: 1_000, archivedEvents: 0, archivedBytes: 0, archivedMaxSeq: null };
    const d = decidePlacement(leaveWinsOverABetterMean(ctx, "archive"), [state], new Set(), settings);
    expect(d[0]).toMatchObject({ arm: "leave", context: ctx });
    expectConsistent(d[0]!.reason);
  });

  it("pinning: cache-pin's bound against leave's", () => {
    const ctx = "reads:missed groups:some";
    const d = decidePinning(leaveWinsOverABetterMean(ctx, "cache-pin"), [{ streamId: "s", shardletId: "x", hits: 2, misses: 8, evictedMisses: 8, groups: 1 }], [], settings);
    expect(d[0]).toMatchObject({ arm: "leave", context: ctx });
    expectConsistent(d[0]!.reason);
  });

  it("prints more digits when two would show the bounds equal, and says when leave was simply untried", () => {
    const close = { pulls: 4, mean: 0.3, ucb: 0.4412 };
    const values = { replicate: close, "cache-pin": close, move: close, archive: close, leave: { pulls: 4, mean: 0.33, ucb: 0.4438 } };
    expect(leaveReason(values, ["replicate"], "c")).toMatch(/replicate's bound 0\.4412 is below leave's bound 0\.4438/);
    const untried = { ...values, leave: { pulls: 0, mean: 0, ucb: null } };
    expect(leaveReason(untried, ["replicate"], "c")).toBe("leave: not tried yet in c, and an untried arm goes first (replicate's bound 0.44)");
  });
});
