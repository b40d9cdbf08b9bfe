import { describe, expect, it } from "vitest";
import { planRebalance, type RebalanceInput } from "../src/placement/rebalance.ts";
import { parseRebalanceSettings } from "../src/placement/settings.ts";
import type { PlacementHost, PlacementShardlet } from "../src/placement/types.ts";

const MIB = 1024 * 1024;
const GIB = 1024 * MIB;
const NOW = Date.UTC(2026, 0, 15, 12, 0, 0);
const COST = { setupSec: 30, copyBytesPerSec: MIB };

function sl(id: string, hostId: string, load: number, sizeBytes: number): PlacementShardlet {
  return { id, streamId: "st", hostId, load, sizeBytes, state: "active" };
}

function input(ss: PlacementShardlet[], over: Partial<RebalanceInput> = {}): RebalanceInput {
  const hosts: PlacementHost[] = ["h1", "h2", "h3"].map((id) => ({
    id,
    status: "active",
    capacityEventsPerSec: 10_000,
    capacityBytes: 1024 * GIB,
    sizeBytes: ss.filter((s) => s.hostId === id).reduce((sum, s) => sum + s.sizeBytes, 0),
  }));
  // One proposal per run: the test is about which move comes first.
  const settings = parseRebalanceSettings({ moveMode: "copy", minHostLoad: 1, minBenefitPerMB: 0, maxProposalsPerRun: 1, bandwidthBytesPerSec: 8 * MIB, maxCopySec: 86_400 });
  return { hosts, shardlets: ss, settings, now: NOW, ...over };
}

/** h1 carries a big old shardlet (a), one that just got hot and is still small (b), and one too big to move (c). */
function cluster(cLoad: number, others: number): PlacementShardlet[] {
  return [sl("a", "h1", 2_000, 10 * GIB), sl("b", "h1", 1_500, GIB), sl("c", "h1", cLoad, 50 * GIB), sl("d", "h2", others, 10 * GIB), sl("e", "h3", others, 10 * GIB)];
}

describe("relief of a host past its load limit", () => {
  it("without a move cost takes the largest benefit first (the big copy)", () => {
    const out = planRebalance(input(cluster(5_500, 4_000)));
    expect(out.proposals.map((p) => p.shardletId)).toEqual(["a"]);
  });

  it("with a move cost, a host past its limit sheds first what switches soonest", () => {
    // h1 at 90% (limit 80%): a takes 2,000 events/s off after about 2.8 hours of copy, b
    // 1,500 after about 18 minutes; b relieves the host hours earlier.
    const out = planRebalance(input(cluster(5_500, 4_000), { moveCost: COST }));
    expect(out.proposals.map((p) => p.shardletId)).toEqual(["b"]);
  });

  it("a host above its share but below its limit still gets the largest benefit", () => {
    const out = planRebalance(input(cluster(4_400, 3_000), { moveCost: COST }));
    expect(out.proposals.map((p) => p.shardletId)).toEqual(["a"]);
  });
});

describe("a host's outlook", () => {
  it("triggers a host climbing towards its capacity before it is above its share", () => {
    // Every host at 5,000 events/s: balanced now. h1's outlook (its rise carried on) is 7,000.
    const ss = [sl("a", "h1", 1_000, GIB), sl("b", "h1", 4_000, GIB), sl("d", "h2", 5_000, GIB), sl("e", "h3", 5_000, GIB)];
    expect(planRebalance(input(ss)).proposals).toEqual([]);
    const out = planRebalance(input(ss, { outlook: new Map([["h1", 7_000]]), outlookLeadSec: 3_600 }));
    expect(out.proposals.map((p) => [p.shardletId, p.sourceHostId])).toEqual([["a", "h1"]]);
    // The reason says the host is planned at its outlook, not at what it carries now.
    expect(out.proposals[0]!.reason).toMatch(/^h1 is rising: planned at 7,000 events\/s, 1 h ahead \(5,000 events\/s now\), 24% above the mean of 5,667 events\/s/);
  });

  it("says a host is rising in the balanced note too, and not for a host the outlook did not raise", () => {
    const ss = [sl("a", "h1", 1_000, GIB), sl("b", "h1", 4_000, GIB), sl("d", "h2", 5_000, GIB), sl("e", "h3", 5_000, GIB)];
    const rising = planRebalance(input(ss, { outlook: new Map([["h1", 5_500]]), outlookLeadSec: 1_800 }));
    expect(rising.proposals).toEqual([]);
    expect(rising.notes.map((n) => n.message)).toEqual([expect.stringMatching(/^Balanced: the hottest host h1 is rising: planned at 5,500 events\/s, 30 min ahead \(5,000 events\/s now\), /)]);
    const below = planRebalance(input(ss, { outlook: new Map([["h1", 4_000]]), outlookLeadSec: 1_800 }));
    expect(below.notes.map((n) => n.message)).toEqual([expect.stringMatching(/^Balanced: the hottest host h1 carries 5,000 events\/s, /)]);
  });

  it("keeps a climbing host from taking a move for the room it has only now", () => {
    // h1 is hot; h2 looks coldest now but is climbing past h3: the move goes to h3.
    const ss = [sl("a", "h1", 1_000, GIB), sl("b", "h1", 6_000, GIB), sl("d", "h2", 3_000, GIB), sl("e", "h3", 3_500, GIB)];
    expect(planRebalance(input(ss)).proposals.map((p) => p.destHostId)).toEqual(["h2"]);
    expect(planRebalance(input(ss, { outlook: new Map([["h2", 4_500]]) })).proposals.map((p) => p.destHostId)).toEqual(["h3"]);
  });
});
