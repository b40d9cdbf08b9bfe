import { describe, expect, it } from "vitest";
import { planDrain } from "../src/placement/drain.ts";
import { planRebalance } from "../src/placement/rebalance.ts";
import { hosts, input, MIB, settings, sl } from "./placement-rebalance-fixtures.ts";

/**
 * With `moveMode: "handoff"` (the product's default) a move carries the load alone: the history
 * stays where it was written, so the planners cost it no bytes, no bandwidth and no window, and a
 * destination full on disk can still take load.
 */

describe("planners with hand-off moves", () => {
  it("moves load that the copying planner would refuse for its bytes, copying nothing", () => {
    const hs = hosts(3);
    // 600 MiB per shardlet at 1 MiB/s for 15 minutes: the copying planner moves one, then stops at the budget.
    const ss = [sl("a", "h1", 300, 600 * MIB), sl("b", "h1", 300, 600 * MIB), sl("c", "h1", 300, 600 * MIB), sl("d", "h2", 100), sl("e", "h3", 100)];
    const limits = { bandwidthBytesPerSec: MIB, maxCopySec: 900, minBenefitPerMB: 0.1 };
    const copying = planRebalance(input(hs, ss, { settings: settings({ ...limits, moveMode: "copy" }) }));
    const handing = planRebalance(input(hs, ss, { settings: settings({ ...limits, moveMode: "handoff" }) }));
    expect(copying.proposals).toHaveLength(1);
    expect(handing.proposals.length).toBeGreaterThan(1);
    for (const p of handing.proposals) {
      expect(p).toMatchObject({ mode: "handoff", bytesToMove: 0 });
      expect(p.feasibility.bandwidth.ok).toBe(true);
      expect(p.reason).toMatch(/handing shardlet \w+ \(300 events\/s\) off to h\d \(its history stays, nothing is copied\)/);
    }
    expect(copying.proposals[0]).toMatchObject({ mode: "copy", bytesToMove: 600 * MIB });
  });

  it("drains a host by hand-off onto a destination too full on disk to take its bytes", () => {
    const hs = [...hosts(2, { capacityBytes: 100 * MIB })];
    hs[0] = { ...hs[0]!, status: "draining" };
    const ss = [sl("a", "h1", 50, 60 * MIB), sl("b", "h2", 50, 60 * MIB)];
    const copying = planDrain("h1", input(hs, ss, { settings: settings({ moveMode: "copy" }) }));
    expect(copying.proposals).toEqual([]);
    const handing = planDrain("h1", input(hs, ss, { settings: settings({ moveMode: "handoff" }) }));
    expect(handing.proposals).toHaveLength(1);
    expect(handing.proposals[0]).toMatchObject({ shardletId: "a", destHostId: "h2", mode: "handoff", bytesToMove: 0 });
    expect(handing.proposals[0]!.reason).toMatch(/handing shardlet a \(50 events\/s\) off to h2 \(its history stays on h1 until it expires or is copied\)/);
  });
});
