import { describe, expect, it } from "vitest";
import {
  decideReplication,
  parsePlacementSettings,
  parseRebalanceSettings,
  PlacementBandit,
  placementSettingsSchema,
  planReadMoves,
  readExcess,
  readMoveReward,
  type PlacementHost,
  type PlacementShardlet,
  type ReadMoveInput,
} from "../src/index.ts";

const settings = parsePlacementSettings({ replicaMinReadsPerSec: 100, maxReplicas: 0, leaveReward: 0.33, exploration: 0.5 });
const rebalance = parseRebalanceSettings({});
const host = (id: string): PlacementHost => ({ id, status: "active", capacityEventsPerSec: 1_000, capacityBytes: 1e12, sizeBytes: 0 });
const shardlet = (id: string, hostId: string, load: number): PlacementShardlet => ({ id, streamId: "st", hostId, load, sizeBytes: 1_000, state: "active" });

/**
 * Host a serves 900 reads/s (hot 600 + warm 300), b 100, c nothing. Writes: hot 10, warm and b1 100,
 * c1 50 events/s: the ceiling is (260 / 3) x 1.1 = 95 events/s, so c can take hot and not warm.
 */
function input(over: Partial<ReadMoveInput> = {}, writes: Record<string, number> = {}): ReadMoveInput {
  const shardlets = [shardlet("hot", "a", writes.hot ?? 10), shardlet("warm", "a", 100), shardlet("b1", "b", writes.b1 ?? 100), shardlet("c1", "c", writes.c1 ?? 50)];
  return {
    hostReads: new Map([
      ["a", 900],
      ["b", 100],
      ["c", 0],
    ]),
    candidates: [
      { shardletId: "hot", hostId: "a", readsPerSec: 600 },
      { shardletId: "warm", hostId: "a", readsPerSec: 300 },
    ],
    write: { hosts: [host("a"), host("b"), host("c")], shardlets, settings: rebalance },
    settings,
    ...over,
  };
}

describe("read moves", () => {
  it("moves a hot shardlet off a host read well above the mean to the least-read host", () => {
    const moves = planReadMoves(input());
    expect([...moves.keys()]).toEqual(["hot"]);
    expect(moves.get("hot")).toMatchObject({ sourceHostId: "a", destHostId: "c", sourceReads: 900, destReads: 0 });
    expect(moves.get("hot")!.excessBefore).toBeCloseTo(900 / (1000 / 3) - 1, 6);
  });

  it("moves nothing when the loads are even, the shardlet is not hot, blocked, or off", () => {
    const even = new Map([
      ["a", 400],
      ["b", 300],
      ["c", 300],
    ]);
    expect(planReadMoves(input({ hostReads: even })).size).toBe(0);
    expect(planReadMoves(input({ candidates: [{ shardletId: "hot", hostId: "a", readsPerSec: 50 }] })).size).toBe(0);
    expect(planReadMoves(input({ candidates: [{ shardletId: "hot", hostId: "a", readsPerSec: 600, blocked: "a migration is under way" }] })).size).toBe(0);
    expect(planReadMoves(input({ settings: { ...settings, maxReadMovesPerRun: 0 } })).size).toBe(0);
  });

  it("never swaps the hot spot: a shardlet that is nearly all of its host's reads is not moved", () => {
    const reads = new Map([
      ["a", 900],
      ["b", 0],
    ]);
    expect(planReadMoves(input({ hostReads: reads, candidates: [{ shardletId: "hot", hostId: "a", readsPerSec: 880 }] })).size).toBe(0);
  });

  it("does not take a destination over the rebalancer's write ceiling, and tries the next cold host", () => {
    // c already writes 100 events/s; the hot shardlet's 900 more would pass its share x (1 + tolerance - hysteresis).
    const heavy = input({}, { hot: 900 });
    expect(planReadMoves(heavy).get("hot")).toBeUndefined();
    // With c writing too much to take it, b (still below the mean) is the destination.
    const cBusy = input({}, { c1: 700, b1: 0 });
    expect(planReadMoves(cBusy).get("hot")).toMatchObject({ destHostId: "b" });
  });

  it("competes with replicate and leave in the hot context, one move per run", () => {
    const planned = planReadMoves(input());
    // Were warm movable too, it would touch the hosts the first move changed: one move per run.
    const moves = new Map([...planned, ["warm", { ...planned.get("hot")!, shardletId: "warm" }]]);
    const hot = [
      { shardletId: "hot", readsPerSec: 600, groups: 1 },
      { shardletId: "warm", readsPerSec: 300, groups: 1 },
    ];
    const d = decideReplication(new PlacementBandit({ exploration: 0.5 }), hot, [], settings, { otherHosts: 2, moves });
    expect(d.map((x) => x.arm)).toEqual(["move"]);
    expect(d[0]).toMatchObject({ shardletId: "hot", context: "reads:hot groups:some" });
    expect(d[0]!.reason).toMatch(/^move: read at 600\.0 events\/s, its host serves 900\.0 reads\/s/);
    // Without an eligible move the choice is replicate or leave, as before.
    const withReplicas = { ...settings, maxReplicas: 2 };
    expect(decideReplication(new PlacementBandit(), hot, [], withReplicas, { otherHosts: 2 }).map((x) => x.arm)).toEqual(["replicate", "replicate"]);
  });

  it("rewards the share of the pair's excess removed, net of the rows copied, and 0 when nothing improved", () => {
    const before = readExcess(900, 0, 1000 / 3);
    // After: a 300, c 600, b 100; the pair's peak is 600 against a mean of 333.
    const after = { sourceReads: 300, destReads: 600, meanReads: 1000 / 3, readEvents: 9_000, copiedEvents: 1_000 };
    const gain = (before - readExcess(300, 600, 1000 / 3)) / before;
    expect(readMoveReward(before, after)).toBeCloseTo(gain * 0.9, 6);
    expect(readMoveReward(before, { ...after, sourceReads: 900, destReads: 0 })).toBe(0);
    expect(readMoveReward(before, { ...after, sourceReads: 0, destReads: 950 })).toBe(0);
    expect(readMoveReward(before, { ...after, readEvents: 0 })).toBe(0);
    expect(readMoveReward(0, after)).toBe(0);
    const perfect = readMoveReward(before, { sourceReads: 100, destReads: 100, meanReads: 100, readEvents: 1, copiedEvents: 0 });
    expect(perfect).toBe(1);
  });

  it("validates the settings", () => {
    expect(placementSettingsSchema.parse({})).toMatchObject({ maxReadMovesPerRun: 1, readMoveImbalance: 0.5, readMoveCooldownSec: 3_600 });
    expect(placementSettingsSchema.safeParse({ maxReadMovesPerRun: -1 }).success).toBe(false);
    expect(placementSettingsSchema.safeParse({ readMoveCooldownSec: 10 }).success).toBe(false);
  });
});
