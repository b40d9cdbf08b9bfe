import { describe, expect, it } from "vitest";
import { planDrain } from "../src/placement/drain.ts";
import { planManualMove } from "../src/placement/manual.ts";
import type { RebalanceInput } from "../src/placement/rebalance.ts";
import { parseRebalanceSettings } from "../src/placement/settings.ts";
import type { PlacementHost, PlacementShardlet } from "../src/placement/types.ts";
import { windowAt } from "../src/placement/window.ts";

const MIB = 1024 * 1024;
const NOW = Date.UTC(2026, 0, 15, 12, 0, 0);

function host(id: string, status: PlacementHost["status"] = "active", extra: Partial<PlacementHost> = {}): PlacementHost {
  return { id, status, capacityEventsPerSec: 1_000, capacityBytes: 1024 * MIB, sizeBytes: 0, ...extra };
}

function sl(id: string, hostId: string, load: number, sizeBytes = MIB, state = "active"): PlacementShardlet {
  return { id, streamId: "st", hostId, load, sizeBytes, state };
}

function input(hosts: PlacementHost[], shardlets: PlacementShardlet[], over: Partial<RebalanceInput> = {}): RebalanceInput {
  const sized = hosts.map((h) => ({ ...h, sizeBytes: shardlets.filter((s) => s.hostId === h.id).reduce((sum, s) => sum + s.sizeBytes, 0) }));
  return { hosts: sized, shardlets, settings: parseRebalanceSettings({ moveMode: "copy" }), now: NOW, ...over };
}

describe("planDrain", () => {
  it("moves every shardlet off the draining host, spreading the load over the others", () => {
    const hs = [host("h1", "draining"), host("h2"), host("h3")];
    const ss = [
      sl("a", "h1", 200),
      sl("b", "h1", 150),
      sl("c", "h1", 100),
      sl("d", "h1", 50),
      sl("e", "h1", 0, 10 * MIB),
      sl("x", "h2", 100),
      sl("y", "h3", 50),
    ];
    const r = planDrain("h1", input(hs, ss));
    expect(r.proposals.map((p) => p.shardletId).sort()).toEqual(["a", "b", "c", "d", "e"]);
    expect(r.notes).toEqual([]);
    const load = new Map([
      ["h2", 100],
      ["h3", 50],
    ]);
    for (const p of r.proposals) {
      expect(p.sourceHostId).toBe("h1");
      expect(p.reason).toMatch(/^h1 is being drained: moving shardlet \w \(/);
      const s = ss.find((x) => x.id === p.shardletId)!;
      load.set(p.destHostId, load.get(p.destHostId)! + s.load);
    }
    // Heaviest first to the host with the most room: 200 -> h3 (50), 150 -> h2 (100), ...
    expect(r.proposals[0]).toMatchObject({ shardletId: "a", destHostId: "h3" });
    expect(r.proposals[1]).toMatchObject({ shardletId: "b", destHostId: "h2" });
    expect(Math.abs(load.get("h2")! - load.get("h3")!)).toBeLessThanOrEqual(100);
    expect(load.get("h2")! + load.get("h3")!).toBe(650);
  });

  it("respects headroom, skips shardlets in flight or busy, and limits the moves per run", () => {
    const hs = [host("h1", "draining"), host("h2", "active", { capacityEventsPerSec: 500 })];
    // h2 may reach 400 events/s (20% headroom): it takes a and c, not b.
    const ss = [sl("a", "h1", 300), sl("b", "h1", 250), sl("c", "h1", 50), sl("m", "h1", 10), sl("s", "h1", 10, MIB, "splitting"), sl("z", "h2", 50)];
    const r = planDrain("h1", input(hs, ss, { inFlight: new Set(["m"]) }));
    expect(r.proposals.map((p) => p.shardletId)).toEqual(["a", "c"]);
    expect(r.notes.map((n) => n.message)).toEqual([
      "h1 is draining: 1 shardlet is splitting or merging and will be moved once that finishes.",
      "h1 is draining, but no active host has headroom for shardlet b (250 events/s, 1 MiB) while keeping 20% of its capacity free.",
    ]);
    const limited = planDrain("h1", input([host("h1", "draining"), host("h2")], ss), { limit: 2 });
    expect(limited.proposals).toHaveLength(2);
    expect(limited.notes.at(-1)!.message).toBe("h1 is draining: 2 more shardlets wait until earlier drain moves finish (a few are kept open at a time).");
  });

  it("says when a draining host is empty", () => {
    const r = planDrain("h1", input([host("h1", "draining"), host("h2")], [sl("x", "h2", 5)]));
    expect(r.proposals).toEqual([]);
    expect(r.notes[0]!.message).toBe("h1 is draining and holds no shardlet any more: it can be retired.");
  });
});

describe("planManualMove", () => {
  const hs = [host("h1"), host("h2"), host("h3", "draining"), host("h4", "active", { capacityEventsPerSec: 100 })];
  const ss = [sl("a", "h1", 300), sl("b", "h1", 20), sl("c", "h2", 100), sl("busy", "h1", 5, MIB, "merging")];

  it("describes a feasible move with its expected load", () => {
    const r = planManualMove(input(hs, ss), "a", "h2", "ops@example.com");
    expect(r.problems).toEqual([]);
    expect(r.proposal).toMatchObject({
      shardletId: "a",
      sourceHostId: "h1",
      destHostId: "h2",
      bytesToMove: MIB,
      expectedLoad: { h1: { before: 325, after: 25 }, h2: { before: 100, after: 400 } },
    });
    expect(r.proposal!.reason).toBe(
      "Requested by ops@example.com: move shardlet a (300 events/s, 1 MiB) from h1 (325 events/s -> 25 events/s) to h2 (100 events/s -> 400 events/s).",
    );
    expect(r.proposal!.feasibility.headroom.ok).toBe(true);
  });

  it("refuses a destination without headroom, an inactive host or shardlet, and a move in flight", () => {
    expect(planManualMove(input(hs, ss), "a", "h4").problems).toEqual([
      "h4 has no headroom for it: h4 after the move: 300 events/s of 100 events/s (300%) and 1 MiB of 1 GiB; limit 80% of capacity (20% headroom).",
    ]);
    expect(planManualMove(input(hs, ss), "b", "h3").problems).toEqual(["h3 is draining; moves go only to active hosts."]);
    expect(planManualMove(input(hs, ss), "busy", "h2").problems).toEqual(["shardlet busy is merging; only an active shardlet can move."]);
    expect(planManualMove(input(hs, ss, { inFlight: new Set(["b"]) }), "b", "h2").problems).toEqual(["shardlet b is already being moved."]);
    expect(planManualMove(input(hs, ss), "b", "h1")).toEqual({ proposal: null, problems: ["shardlet b is already on h1."] });
    expect(planManualMove(input(hs, ss), "nope", "h2").proposal).toBeNull();
  });
});

describe("windowAt", () => {
  const w = { windowStartHourUtc: 22, windowEndHourUtc: 4 };
  it("handles windows across midnight", () => {
    const at = (h: number) => windowAt(Date.UTC(2026, 0, 15, h, 30), w);
    expect(at(23)).toMatchObject({ open: true, start: Date.UTC(2026, 0, 15, 22), end: Date.UTC(2026, 0, 16, 4) });
    expect(at(1)).toMatchObject({ open: true, start: Date.UTC(2026, 0, 14, 22), end: Date.UTC(2026, 0, 15, 4) });
    expect(at(12)).toMatchObject({ open: false, start: Date.UTC(2026, 0, 15, 22), end: Date.UTC(2026, 0, 16, 4), lengthMs: 6 * 3_600_000 });
    expect(windowAt(NOW, { windowStartHourUtc: 0, windowEndHourUtc: 24 })).toEqual({ anyTime: true });
  });
});
