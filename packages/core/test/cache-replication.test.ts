import { describe, expect, it } from "vitest";
import { decideReplication, parsePlacementSettings, PlacementBandit, REPLICA_GRACE_RUNS, replicaReward, type LiveReplica } from "../src/index.ts";

const settings = parsePlacementSettings({ replicaMinReadsPerSec: 100, maxReplicas: 2, leaveReward: 0.33, exploration: 0.5 });
const live = (over: Partial<LiveReplica>): LiveReplica => ({ replicaId: "r1", shardletId: "a", context: "reads:hot groups:some", runs: REPLICA_GRACE_RUNS, servedEvents: 0, copiedEvents: 1_000, ...over });

describe("replication decisions", () => {
  it("rewards a replica with what it served per event copied", () => {
    expect(replicaReward(0, 1_000)).toBe(0);
    expect(replicaReward(1_000, 1_000)).toBe(0.5);
    expect(replicaReward(9_000, 1_000)).toBeCloseTo(0.9);
    expect(replicaReward(0, 0)).toBe(0);
  });

  it("replicates the hottest shardlets first, up to the cluster's limit, and only with another host", () => {
    const hot = [
      { shardletId: "warm", readsPerSec: 150, groups: 1 },
      { shardletId: "cold", readsPerSec: 20, groups: 1 },
      { shardletId: "hottest", readsPerSec: 900, groups: 1 },
      { shardletId: "hot", readsPerSec: 400, groups: 0 },
    ];
    const d = decideReplication(new PlacementBandit({ exploration: 0.5 }), hot, [], settings, { otherHosts: 1 });
    expect(d.filter((x) => x.arm === "replicate").map((x) => x.shardletId)).toEqual(["hottest", "hot"]);
    expect(d.some((x) => x.shardletId === "cold" || x.shardletId === "warm")).toBe(false);
    expect(decideReplication(new PlacementBandit(), hot, [], settings, { otherHosts: 0 })).toEqual([]);
  });

  it("learns to leave a context where replicas were not read, and drops them after their grace runs", () => {
    const bandit = new PlacementBandit({ exploration: 0.1 });
    const hot = [{ shardletId: "a", readsPerSec: 500, groups: 1 }];
    // Young replicas that served nothing are kept (the first copy costs before reads arrive)...
    for (let runs = 1; runs < REPLICA_GRACE_RUNS; runs++) expect(decideReplication(bandit, hot, [live({ runs })], settings, { otherHosts: 1 })).toEqual([]);
    // ...then dropped, and the context's replicate value falls below the bar: the next one is left.
    const d = decideReplication(bandit, hot, [live({})], settings, { otherHosts: 1 });
    expect(d).toHaveLength(1);
    expect(d[0]).toMatchObject({ arm: "drop", replicaId: "r1" });
    expect(d[0]!.reason).toMatch(/below the bar/);
    for (let i = 0; i < 5; i++) bandit.reward("reads:hot groups:some", "replicate", 0);
    bandit.reward("reads:hot groups:some", "leave", settings.leaveReward);
    expect(decideReplication(bandit, hot, [], settings, { otherHosts: 1 })[0]).toMatchObject({ arm: "leave", shardletId: "a" });
  });

  it("keeps a replica that serves and drops one whose shardlet cooled down, but not one whose host was not measured", () => {
    const bandit = new PlacementBandit();
    const serving = live({ servedEvents: 50_000 });
    expect(decideReplication(bandit, [{ shardletId: "a", readsPerSec: 500, groups: 1 }], [serving], settings, { otherHosts: 1 })).toEqual([]);
    const cooled = decideReplication(bandit, [{ shardletId: "a", readsPerSec: 10, groups: 1 }], [serving], settings, { otherHosts: 1 });
    expect(cooled[0]).toMatchObject({ arm: "drop" });
    expect(cooled[0]!.reason).toMatch(/under half/);
    expect(decideReplication(bandit, [], [serving], settings, { otherHosts: 1 })).toEqual([]);
    expect(decideReplication(bandit, [], [serving], { ...settings, maxReplicas: 0 }, { otherHosts: 1 })[0]).toMatchObject({ arm: "drop" });
  });
});
