import { describe, expect, it } from "vitest";
import { planRebalance } from "../src/placement/rebalance.ts";
import { parseRebalanceSettings } from "../src/placement/settings.ts";
import type { MoveProposal, PlacementShardlet } from "../src/placement/types.ts";
import { createRng } from "../src/workload/rng.ts";
import { hosts, input, MIB, NOW, settings, sl } from "./placement-rebalance-fixtures.ts";

/**
 * The rebalancer's settings and the moves it proposes: off a hot host to the coldest, never back and
 * forth, not within a cool-down or while in flight, with the urgency and labels it is given, deterministically.
 */

function hostLoads(ss: readonly PlacementShardlet[]): Map<string, number> {
  const m = new Map<string, number>();
  for (const s of ss) m.set(s.hostId, (m.get(s.hostId) ?? 0) + s.load);
  return m;
}

function spread(ss: readonly PlacementShardlet[], hostIds: string[]): number {
  const loads = hostIds.map((id) => hostLoads(ss).get(id) ?? 0);
  return Math.max(...loads) - Math.min(...loads);
}

function apply(ss: PlacementShardlet[], p: MoveProposal): PlacementShardlet[] {
  return ss.map((s) => (s.id === p.shardletId ? { ...s, hostId: p.destHostId } : s));
}

describe("settings", () => {
  it("has a default for every field, auto-approve off", () => {
    const s = parseRebalanceSettings(undefined);
    expect(s).toMatchObject({ enabled: true, tolerance: 0.2, hysteresis: 0.1, minBenefitPerMB: 1, autoApprove: false, maxProposalsPerRun: 4, moveMode: "handoff", drainHistory: "expire" });
  });

  it("refuses a hysteresis as large as the tolerance", () => {
    expect(() => parseRebalanceSettings({ tolerance: 0.1, hysteresis: 0.1 })).toThrow(/hysteresis must be smaller than the tolerance/);
  });
});

describe("planRebalance", () => {
  it("proposes nothing for a balanced cluster and says so", () => {
    const hs = hosts(3);
    const ss = [sl("a", "h1", 100), sl("b", "h1", 105), sl("c", "h2", 200), sl("d", "h3", 95), sl("e", "h3", 100)];
    const r = planRebalance(input(hs, ss));
    expect(r.proposals).toEqual([]);
    expect(r.notes).toHaveLength(1);
    expect(r.notes[0]!.message).toMatch(/^Balanced: the hottest host h1 carries 205 events\/s, 2\.5% above the mean of 200 events\/s \(moves start above \+20%\)\.$/);
  });

  it("moves load off one hot host to the coldest hosts, each move lowering the spread", () => {
    const hs = hosts(3);
    // h1: 1,200 events/s in 6 shardlets; h2: 300; h3: 150. Mean 550.
    const ss = [
      sl("a", "h1", 400),
      sl("b", "h1", 300),
      sl("c", "h1", 200),
      sl("d", "h1", 150),
      sl("e", "h1", 100),
      sl("f", "h1", 50),
      sl("g", "h2", 300),
      sl("h", "h3", 150),
    ];
    const r = planRebalance(input(hs, ss));
    expect(r.proposals.length).toBeGreaterThanOrEqual(2);
    expect(r.proposals.every((p) => p.sourceHostId === "h1")).toBe(true);
    // The first move goes to the coldest host.
    expect(r.proposals[0]!.destHostId).toBe("h3");
    let state = ss;
    let before = spread(state, ["h1", "h2", "h3"]);
    for (const p of r.proposals) {
      expect(p.benefit).toBeGreaterThan(0);
      state = apply(state, p);
      const after = spread(state, ["h1", "h2", "h3"]);
      expect(after).toBeLessThan(before);
      before = after;
      expect(p.feasibility.headroom.ok && p.feasibility.bandwidth.ok && p.feasibility.window.ok).toBe(true);
      expect(p.bytesToMove).toBe(MIB);
    }
    // No destination ends above the hysteresis band (mean x 1.1 = 605 events/s).
    const loads = hostLoads(state);
    expect(loads.get("h2")!).toBeLessThanOrEqual(605);
    expect(loads.get("h3")!).toBeLessThanOrEqual(605);
    // The hot host is relieved to the band.
    expect(loads.get("h1")!).toBeLessThanOrEqual(605);
    const first = r.proposals[0]!;
    expect(first.reason).toBe(
      "h1 carries 1,200 events/s, 118% above the mean of 550 events/s (trigger +20%): moving shardlet a (400 events/s, 1 MiB) to h3 takes h1 to 800 events/s and h3 from 150 events/s to 550 events/s (400 events/s per MiB).",
    );
    expect(first.expectedLoad).toEqual({ h1: { before: 1200, after: 800 }, h3: { before: 150, after: 550 } });
  });

  it("does not ping-pong over repeated runs, even without a cool-down", () => {
    const rng = createRng(42);
    const hs = hosts(4);
    let ss: PlacementShardlet[] = [];
    for (let i = 0; i < 60; i++) ss.push(sl(`s${String(i).padStart(2, "0")}`, i < 40 ? "h1" : `h${2 + (i % 3)}`, 5 + rng.int(60), MIB));
    for (const cooldownSec of [0, 900]) {
      let state = ss;
      const moved = new Map<string, number>();
      const recent = new Map<string, number>();
      let total = 0;
      for (let run = 0; run < 30; run++) {
        const r = planRebalance(input(hs, state, { settings: settings({ cooldownSec }), recentMoves: recent, now: NOW + run * 30_000 }));
        for (const p of r.proposals) {
          state = apply(state, p);
          moved.set(p.shardletId, (moved.get(p.shardletId) ?? 0) + 1);
          recent.set(p.shardletId, NOW + run * 30_000);
        }
        total += r.proposals.length;
        if (run >= 10) expect(r.proposals, `run ${run} with cool-down ${cooldownSec}`).toEqual([]);
      }
      expect(total).toBeGreaterThan(0);
      // Every shardlet moved at most once: nothing was sent back.
      expect(Math.max(...moved.values())).toBe(1);
      const loads = [...hostLoads(state).values()];
      const mean = loads.reduce((a, b) => a + b, 0) / 4;
      expect(Math.max(...loads)).toBeLessThanOrEqual(mean * 1.2 + 1e-9);
    }
    ss = [];
  });

  it("leaves a shardlet moved within the cool-down where it is", () => {
    const hs = hosts(2);
    const ss = [sl("a", "h1", 100), sl("b", "h1", 100), sl("c", "h1", 100), sl("d", "h2", 50)];
    const free = planRebalance(input(hs, ss));
    expect(free.proposals.map((p) => p.shardletId)).toEqual(["a"]);
    const recent = new Map([
      ["a", NOW - 60_000],
      ["b", NOW - 120_000],
      ["c", NOW - 899_000],
    ]);
    const cooling = planRebalance(input(hs, ss, { recentMoves: recent }));
    expect(cooling.proposals).toEqual([]);
    expect(cooling.notes[0]!.message).toBe(
      "h1 carries 300 events/s, 71% above the mean of 175 events/s, but none of its shardlets can move now: 3 moved, or failed to move, within the cool-down of 15 min.",
    );
    // After the cool-down the move is proposed again.
    const later = planRebalance(input(hs, ss, { recentMoves: new Map([...recent, ["c", NOW - 901_000]]) }));
    expect(later.proposals.map((p) => p.shardletId)).toEqual(["c"]);
  });

  it("does not propose shardlets already being moved, and counts their load on the destination", () => {
    const hs = hosts(2);
    const ss = [sl("a", "h1", 100), sl("b", "h1", 100), sl("c", "h1", 100), sl("d", "h2", 50)];
    const r = planRebalance(input(hs, ss, { inFlight: new Set(["a"]), inFlightMoves: new Map([["a", "h2"]]) }));
    // With a's 100 events/s landing on h2 the hosts carry 200 and 150: balanced.
    expect(r.proposals).toEqual([]);
    expect(r.notes.map((n) => n.message)).toEqual([
      expect.stringMatching(/^Balanced once the open moves land: the hottest host h1 carries 200 events\/s/),
      expect.stringMatching(/^h1 carries 300 events\/s now, 71% above the mean of 175 events\/s, but its 1 open move takes it to 200 events\/s once it lands/),
    ]);
    const r2 = planRebalance(input(hs, ss, { inFlight: new Set(["a"]) }));
    expect(r2.proposals.map((p) => p.shardletId)).toEqual(["b"]);
  });

  it("copies urgency, honours 'enabled', and uses the labels it is given", () => {
    const hs = hosts(2);
    const ss = [sl("a", "h1", 100), sl("b", "h1", 100), sl("c", "h1", 100), sl("d", "h2", 50)];
    const labels = new Map([
      ["h1", "host-1"],
      ["h2", "host-2"],
      ["a", "orders 0x00000000–0x7fffffff"],
    ]);
    const r = planRebalance(input(hs, ss, { urgency: new Map([["a", 120]]), labels }));
    expect(r.proposals[0]!.urgencySec).toBe(120);
    expect(r.proposals[0]!.reason).toMatch(/^host-1 carries 300 events\/s, .* moving orders 0x00000000–0x7fffffff \(100 events\/s, 1 MiB\) to host-2 /);
    const off = planRebalance(input(hs, ss, { settings: settings({ enabled: false }) }));
    expect(off.proposals).toEqual([]);
    expect(off.notes[0]!.message).toMatch(/^Automatic rebalancing is off/);
  });

  it("is deterministic whatever the input order on thousands of shardlets", () => {
    const rng = createRng(7);
    const hs = hosts(12);
    const ss: PlacementShardlet[] = [];
    for (let i = 0; i < 6000; i++) {
      const host = i % 5 === 0 ? "h1" : `h${1 + (i % 12)}`;
      ss.push(sl(`s${i}`, host, rng.next() * 20, Math.round((0.1 + rng.next()) * MIB)));
    }
    const a = planRebalance(input(hs, ss, { settings: settings({ maxProposalsPerRun: 50 }) }));
    const shuffled = [...ss].reverse();
    const b = planRebalance(input([...hs].reverse(), shuffled, { settings: settings({ maxProposalsPerRun: 50 }) }));
    expect(b).toEqual(a);
    expect(a.proposals.length).toBeGreaterThan(0);
  });
});
