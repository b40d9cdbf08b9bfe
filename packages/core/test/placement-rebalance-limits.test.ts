import { describe, expect, it } from "vitest";
import { planRebalance } from "../src/placement/rebalance.ts";
import { hosts, input, MIB, settings, sl } from "./placement-rebalance-fixtures.ts";

/**
 * What keeps the rebalancer from a move, and the note it leaves: too little benefit per byte, no
 * headroom, the bandwidth budget and the window, the maximum per run, cold and unavailable hosts.
 */

describe("planRebalance", () => {
  it("filters moves whose benefit per byte is below the minimum, and says which was best", () => {
    const hs = hosts(2);
    // Moving 100 events/s by copying 500 MiB: 0.2 events/s per MiB.
    const ss = [sl("big", "h1", 100, 500 * MIB), sl("big2", "h1", 100, 800 * MIB), sl("c", "h2", 10, MIB)];
    const r = planRebalance(input(hs, ss));
    expect(r.proposals).toEqual([]);
    expect(r.notes).toHaveLength(1);
    expect(r.notes[0]!.message).toBe(
      "h1 carries 200 events/s, 90% above the mean of 105 events/s, but the best move, shardlet big (100 events/s, 500 MiB) to h2, takes off 0.18 events/s per MiB copied, below the minimum of 1.",
    );
    expect(r.notes[0]!.shardletId).toBe("big");
    const lenient = planRebalance(input(hs, ss, { settings: settings({ minBenefitPerMB: 0.1 }) }));
    expect(lenient.proposals.map((p) => p.shardletId)).toEqual(["big"]);
  });

  it("explains a hot host whose shardlets no destination can take", () => {
    const hs = hosts(3);
    // One shardlet of 900 events/s: wherever it goes, that host is the new hot spot.
    const ss = [sl("hot", "h1", 900), sl("b", "h2", 100), sl("c", "h3", 100)];
    const r = planRebalance(input(hs, ss));
    expect(r.proposals).toEqual([]);
    expect(r.notes[0]!.message).toBe(
      "h1 carries 900 events/s, 145% above the mean of 367 events/s, but no destination has headroom for any of its shardlets: the smallest movable one that still carries load, shardlet hot (900 events/s), is more than any other host can take (303 events/s at most, keeping it under its share +10%). Splitting it lets the pieces move.",
    );
  });

  it("refuses destinations without capacity headroom", () => {
    // Small hosts: 1,000 events/s each, 20% headroom -> at most 800 after a move.
    const hs = hosts(2, { capacityEventsPerSec: 1_000 });
    const ss = [sl("a", "h1", 600), sl("b", "h1", 600), sl("c", "h2", 700)];
    const r = planRebalance(input(hs, ss, { settings: settings({ tolerance: 0.2, hysteresis: 0.05 }) }));
    expect(r.proposals).toEqual([]);
    expect(r.notes[0]!.message).toMatch(/no destination has headroom/);
    // Bytes count too: a destination nearly full on disk cannot take the shardlet.
    const bytesFull = hosts(2, { capacityBytes: 100 * MIB });
    const ss2 = [sl("a", "h1", 400, 30 * MIB), sl("b", "h1", 400, 30 * MIB), sl("c", "h2", 50, 60 * MIB)];
    const r2 = planRebalance(input(bytesFull, ss2));
    expect(r2.proposals).toEqual([]);
    expect(r2.notes[0]!.message).toMatch(/no destination has room for the bytes: shardlet a \(30 MiB\) would fill h2 past 80% of its capacity\.$/);
  });

  it("keeps within the bandwidth budget and the migration window", () => {
    const hs = hosts(3);
    const ss = [sl("a", "h1", 300, 600 * MIB), sl("b", "h1", 300, 600 * MIB), sl("c", "h1", 300, 600 * MIB), sl("d", "h2", 100), sl("e", "h3", 100)];
    // 1 MiB/s for at most 15 minutes: one 600 MiB move fits (10 min), two do not.
    const s = settings({ bandwidthBytesPerSec: MIB, maxCopySec: 900, minBenefitPerMB: 0.1 });
    const r = planRebalance(input(hs, ss, { settings: s }));
    expect(r.proposals).toHaveLength(1);
    expect(r.proposals[0]!.feasibility.bandwidth).toEqual({ ok: true, detail: "600 MiB at 1 MiB/s: about 10 min (budget 15 min per run)" });
    expect(r.notes.map((n) => n.message)).toEqual([
      "h1 is still 64% above the mean of 367 events/s after 1 proposed move, but moving shardlet b (600 MiB) would take about 10 min at 1 MiB/s, over the copy budget of 15 min per run with the moves already planned.",
    ]);

    // A 2-hour window at 02:00 UTC (now is 12:00): the move is proposed and waits for the window.
    const w = planRebalance(input(hs, ss, { settings: settings({ windowStartHourUtc: 2, windowEndHourUtc: 4, minBenefitPerMB: 0.1 }) }));
    expect(w.proposals.length).toBeGreaterThan(0);
    expect(w.proposals[0]!.feasibility.window).toEqual({ ok: true, detail: "window 02:00–04:00 UTC opens in 14 h; the move waits for it" });
    // A copy longer than the window is not proposed.
    const long = planRebalance(
      input(hs, ss, { settings: settings({ windowStartHourUtc: 2, windowEndHourUtc: 3, bandwidthBytesPerSec: 100 * 1024, maxCopySec: 86_400, minBenefitPerMB: 0.1 }) }),
    );
    expect(long.proposals).toEqual([]);
    expect(long.notes[0]!.message).toMatch(/copying shardlet a \(600 MiB\) takes about 1 h 42 min, longer than the migration window 02:00–03:00 UTC\.$/);
  });

  it("stops at the maximum proposals per run and notes it", () => {
    const hs = hosts(4);
    const ss = [...Array.from({ length: 20 }, (_, i) => sl(`s${i}`, "h1", 100)), sl("x", "h2", 10), sl("y", "h3", 10), sl("z", "h4", 10)];
    const r = planRebalance(input(hs, ss, { settings: settings({ maxProposalsPerRun: 3 }) }));
    expect(r.proposals).toHaveLength(3);
    expect(r.notes.at(-1)!.message).toMatch(/^Stopped at 3 proposals \(the maximum per run\): h1 is still \d+% above the mean of 508 events\/s; the next run continues\.$/);
  });

  it("ignores cold hosts below the minimum host load, draining and down hosts", () => {
    const hs = hosts(3);
    const ss = [sl("a", "h1", 4), sl("b", "h1", 4), sl("c", "h2", 1)];
    const r = planRebalance(input(hs, ss, { settings: settings({ minHostLoad: 10 }) }));
    expect(r.proposals).toEqual([]);
    expect(r.notes[0]!.message).toBe(
      "h1 is 167% above the mean of 3 events/s but carries only 8 events/s, below the minimum host load of 10 events/s: not worth moving data for.",
    );
    // A draining host is no destination, a down host is neither.
    const mixed = [
      { ...hosts(1)[0]!, id: "h1" },
      { ...hosts(1)[0]!, id: "h2", status: "draining" as const },
      { ...hosts(1)[0]!, id: "h3", status: "down" as const },
      { ...hosts(1)[0]!, id: "h4" },
    ];
    const ss2 = [sl("a", "h1", 500), sl("b", "h1", 500), sl("c", "h3", 10), sl("d", "h4", 100)];
    const r2 = planRebalance(input(mixed, ss2));
    expect(r2.proposals.map((p) => [p.shardletId, p.destHostId])).toEqual([["a", "h4"]]);
    expect(r2.notes.map((n) => n.message)).toContain("h3 is down: its shardlets are neither moved off it nor onto it until it is back.");
  });
});
