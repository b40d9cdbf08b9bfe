import { describe, expect, it } from "vitest";
import { planRebalance } from "../src/placement/rebalance.ts";
import { hosts, input, sl } from "./placement-rebalance-fixtures.ts";

/**
 * A host above the trigger always has a note saying where it stands: relieved by this run's
 * proposals, or waiting for open moves that will relieve it. Without them a hot host in the
 * console's load table could be left without a word (the notes named only the hottest host).
 */

// h1: 400 events/s in four shardlets, h2 and h3 100 each. Mean 200: moves start above 240, and a
// destination stays within 220.
const CLUSTER = [sl("a", "h1", 100), sl("b", "h1", 100), sl("c", "h1", 100), sl("d", "h1", 100), sl("e", "h2", 100), sl("f", "h3", 100)];

describe("planner notes on a hot host", () => {
  it("says when this run's proposals bring the hot host back within the band", () => {
    const r = planRebalance(input(hosts(3), CLUSTER));
    expect(r.proposals.map((p) => [p.sourceHostId, p.destHostId])).toEqual([
      ["h1", "h2"],
      ["h1", "h3"],
    ]);
    expect(r.notes.map((n) => [n.hostId, n.message])).toEqual([
      ["h1", "h1 carries 400 events/s, 100% above the mean of 200 events/s: the 2 moves proposed take it to 200 events/s, within +10%, so no further move is needed."],
    ]);
  });

  it("says a hot host with open moves off it waits for them, and that the balance counts them", () => {
    const open = new Map([
      ["a", "h2"],
      ["b", "h3"],
    ]);
    const r = planRebalance(input(hosts(3), CLUSTER, { inFlight: new Set(open.keys()), inFlightMoves: open }));
    expect(r.proposals).toEqual([]);
    expect(r.notes.map((n) => [n.hostId, n.message])).toEqual([
      ["h1", "Balanced once the open moves land: the hottest host h1 carries 200 events/s, 0% above the mean of 200 events/s (moves start above +20%)."],
      ["h1", "h1 carries 400 events/s now, 100% above the mean of 200 events/s, but its 2 open moves take it to 200 events/s once they land (moves start above +20%): nothing more to move until then."],
    ]);
  });

  it("names every host waiting on open moves, also when another host is planned", () => {
    // h4 is hot and movable; h1's two open moves are already enough for it.
    const ss = [...CLUSTER, sl("g", "h4", 300), sl("h", "h4", 100)];
    const open = new Map([
      ["a", "h2"],
      ["b", "h3"],
    ]);
    const r = planRebalance(input(hosts(4), ss, { inFlight: new Set(open.keys()), inFlightMoves: open }));
    expect(r.proposals.every((p) => p.sourceHostId === "h4")).toBe(true);
    expect(r.notes.filter((n) => n.hostId === "h1").map((n) => n.message)).toEqual([expect.stringMatching(/^h1 carries 400 events\/s now, .* its 2 open moves take it to 200 events\/s once they land/)]);
  });

  it("leaves no waiting note for a host within the trigger before its open moves land", () => {
    const open = new Map([["a", "h2"]]);
    const ss = [sl("a", "h1", 20), sl("b", "h1", 100), sl("c", "h2", 100), sl("d", "h3", 100)];
    const r = planRebalance(input(hosts(3), ss, { inFlight: new Set(open.keys()), inFlightMoves: open }));
    expect(r.notes.map((n) => n.message)).toEqual([expect.stringMatching(/^Balanced: the hottest host h2 carries 120 events\/s/)]);
  });
});
