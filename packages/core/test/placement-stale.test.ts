import { describe, expect, it } from "vitest";
import { planRebalance } from "../src/placement/rebalance.ts";
import { staleRebalanceReasons, type UndecidedMove } from "../src/placement/stale.ts";
import type { MoveProposal, PlacementShardlet } from "../src/placement/types.ts";
import { hosts, input, sl } from "./placement-rebalance-fixtures.ts";

/**
 * Undecided rebalancer proposals are withdrawn when their reason has gone: the source cooled down,
 * or the destination warmed up; a proposal still needed is kept, and it never keeps itself alive.
 */

const undecided = (ps: readonly MoveProposal[]): UndecidedMove[] =>
  ps.map((p, i) => ({ id: `m${i}`, shardletId: p.shardletId, sourceHostId: p.sourceHostId, destHostId: p.destHostId }));

/** The proposals counted as in flight, as the worker's snapshot hands them to the planner. */
const inFlight = (ps: readonly MoveProposal[]) => new Map(ps.map((p) => [p.shardletId, p.destHostId]));

/** h1 writes `each` events/s on each of its six shardlets; h2 and h3 write 150 on one each. */
function cluster(each: number, h2 = 150): PlacementShardlet[] {
  return [...["a", "b", "c", "f", "g", "k"].map((id) => sl(id, "h1", each)), sl("d", "h2", h2), sl("e", "h3", 150)];
}
const hotCluster = () => cluster(200);

describe("staleRebalanceReasons", () => {
  it("keeps a proposal while its source is still hot, counted as in flight as the worker counts it", () => {
    const ss = hotCluster();
    const plan = planRebalance(input(hosts(3), ss));
    expect(plan.proposals.length).toBeGreaterThan(0);
    const reasons = staleRebalanceReasons({ ...input(hosts(3), ss), inFlightMoves: inFlight(plan.proposals) }, undecided(plan.proposals));
    expect(reasons.size).toBe(0);
  });

  it("withdraws a proposal whose source has cooled down below its relief level, and says how far", () => {
    const plan = planRebalance(input(hosts(3), hotCluster()));
    // The burst on h1 is over: each of its shardlets now writes a tenth.
    const cooled = cluster(20);
    const reasons = staleRebalanceReasons({ ...input(hosts(3), cooled), inFlightMoves: inFlight(plan.proposals) }, undecided(plan.proposals));
    expect(reasons.size).toBe(plan.proposals.length);
    expect(reasons.get("m0")).toMatch(/^h1 carries 120 events\/s, \d+% below the mean of \d+ events\/s: no longer above the level moves relieve it to \(\+10%\)$/);
  });

  it("withdraws a proposal whose destination has warmed up so much that the move would overload it", () => {
    const plan = planRebalance(input(hosts(3), hotCluster()));
    const toH2 = plan.proposals.filter((p) => p.destHostId === "h2");
    expect(toH2.length).toBeGreaterThan(0);
    // h1 stays hot; h2 now takes a burst of its own.
    const warm = cluster(200, 1_100);
    const reasons = staleRebalanceReasons({ ...input(hosts(3), warm), inFlightMoves: inFlight(toH2) }, undecided(toH2));
    expect(reasons.get("m0")).toMatch(/^h2 now carries 1,100 events\/s: taking shardlet [abcfgk] \(200 events\/s\) would put it \d+% above the mean of [\d,]+ events\/s, past the level a destination may reach \(\+10%\)$/);
  });

  it("counts moves already approved where they go: a source relieved by them has its extra proposals withdrawn", () => {
    const ss = hotCluster();
    const plan = planRebalance(input(hosts(3), ss));
    expect(plan.proposals.length).toBeGreaterThan(1);
    const [approved, ...rest] = plan.proposals;
    // h1's load has fallen so far that the approved move alone relieves it (175 events/s against a
    // relief level of 187), while without it h1 would still be above (210).
    const calmer = cluster(35);
    const reasons = staleRebalanceReasons({ ...input(hosts(3), calmer), inFlightMoves: inFlight(plan.proposals) }, undecided(rest));
    expect(approved).toBeDefined();
    expect(reasons.size).toBe(rest.length);
    expect(staleRebalanceReasons({ ...input(hosts(3), calmer), inFlightMoves: inFlight(plan.proposals) }, undecided(plan.proposals)).size).toBe(0);
  });
});
