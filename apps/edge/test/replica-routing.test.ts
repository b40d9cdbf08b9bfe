import { createRng, type ShardletRoute } from "@shardcast/core";
import { describe, expect, it } from "vitest";
import { clipSegments, ReplicaHints, subtractRanges } from "../src/consumers/replica-routing.ts";

const route = (replicas: ShardletRoute["replicas"], shadowHostId: string | null = null): ShardletRoute => ({
  id: "s1",
  streamId: "st",
  shardId: "sh",
  lo: 0,
  hi: 100,
  hostId: "h1",
  epoch: 1,
  state: "active",
  shadowHostId,
  ...(replicas ? { replicas } : {}),
});

describe("replica routing", () => {
  it("spreads reads over the host and every replica verified past the reader's position", () => {
    const hints = new ReplicaHints();
    const s = route([
      { id: "r1", hostId: "h2", verifiedSeq: 500 },
      { id: "r2", hostId: "h3", verifiedSeq: 50 },
    ]);
    // r2 is not verified past 100: the host and r1 take turns.
    expect([0, 1, 2, 3].map(() => hints.pick(s, 100)?.id ?? "host")).toEqual(["host", "r1", "host", "r1"]);
    expect(hints.pick(route(undefined), 0)).toBeNull();
    expect(hints.pick(route([{ id: "r1", hostId: "h2", verifiedSeq: 500 }], "h9"), 0)).toBeNull();
  });

  it("trusts a replica's own answer over its route and leaves an unreachable one out for a while", () => {
    let now = 0;
    const hints = new ReplicaHints(() => now, 10_000);
    const s = route([{ id: "r1", hostId: "h2", verifiedSeq: 500 }]);
    hints.answered("r1", 80);
    expect([0, 1].map(() => hints.pick(s, 100)?.id ?? "host")).toEqual(["host", "host"]);
    hints.observe("r1", 900);
    hints.unreachable("r1");
    expect([0, 1].map(() => hints.pick(s, 100)?.id ?? "host")).toEqual(["host", "host"]);
    now = 10_001;
    expect([0, 1].map(() => hints.pick(s, 100)?.id ?? "host")).toContain("r1");
  });

  it("clips and subtracts key-hash ranges of segments", () => {
    const segs = [{ lo: 0, hi: 100, after: 5 }, { lo: 200, hi: 300, after: 7 }];
    expect(clipSegments(segs, 50, 250)).toEqual([{ lo: 50, hi: 100, after: 5 }, { lo: 200, hi: 250, after: 7 }]);
    expect(subtractRanges(segs, [{ lo: 50, hi: 250 }])).toEqual([{ lo: 0, hi: 50, after: 5 }, { lo: 250, hi: 300, after: 7 }]);
    expect(subtractRanges(segs, [{ lo: 0, hi: 300 }])).toEqual([]);
  });
});

const REPLICAS = [
  { id: "r1", hostId: "h2", verifiedSeq: 500 },
  { id: "r2", hostId: "h3", verifiedSeq: 500 },
  { id: "r3", hostId: "h4", verifiedSeq: 500 },
];

/** Latency-routed hints on a clock the test moves, with every target measured at `ms` (default 3). */
function measuredHints(ms: Record<string, number> = {}) {
  const clock = { now: 1_000 };
  const hints = new ReplicaHints(() => clock.now, 10_000, { policy: "latency", floorShare: 0.02, halfLifeMs: 1_000, rng: createRng("hints") });
  hints.measured({ hostId: "h1" }, ms.host ?? 3);
  for (const r of REPLICAS) hints.measured({ replicaId: r.id }, ms[r.id] ?? 3);
  return { hints, clock };
}

function picks(hints: ReplicaHints, s: ShardletRoute, from: number, n = 1_000): Map<string, number> {
  const counts = new Map<string, number>();
  for (let i = 0; i < n; i++) {
    const target = hints.pick(s, from)?.id ?? "host";
    counts.set(target, (counts.get(target) ?? 0) + 1);
  }
  return counts;
}

describe("latency-aware replica routing", () => {
  it("leaves a slow replica but for the floor's share, and a slow host too", () => {
    const slowReplica = picks(measuredHints({ r2: 40 }).hints, route(REPLICAS), 100);
    expect(slowReplica.get("r2") ?? 0).toBeLessThan(20);
    for (const t of ["host", "r1", "r3"]) expect(slowReplica.get(t)).toBeGreaterThan(200);
    // The host is one of the targets: a slow host sends its reads to the replicas.
    const slowHost = picks(measuredHints({ host: 40 }).hints, route(REPLICAS), 100);
    expect(slowHost.get("host") ?? 0).toBeLessThan(20);
  });

  it("keeps the rules: no replica while the shardlet migrates, none not verified past the reader's position", () => {
    const { hints } = measuredHints({ host: 40 });
    expect(picks(hints, route(REPLICAS, "h9"), 100, 50).get("host")).toBe(50);
    // r1 is the fastest but verified only to 50: a read from 100 never goes there.
    hints.measured({ replicaId: "r1" }, 0.1);
    hints.answered("r1", 50);
    const counts = picks(hints, route(REPLICAS), 100);
    expect(counts.get("r1")).toBeUndefined();
    expect((counts.get("r2") ?? 0) + (counts.get("r3") ?? 0)).toBeGreaterThan(900);
    // The same replica serves a reader behind its position.
    expect(picks(hints, route(REPLICAS), 10).get("r1")).toBeGreaterThan(100);
  });

  it("leaves an unreachable replica out for a while however fast it was", () => {
    const { hints, clock } = measuredHints({ host: 40, r2: 40, r3: 40 });
    hints.unreachable("r1");
    expect(picks(hints, route(REPLICAS), 100).get("r1")).toBeUndefined();
    clock.now += 10_001;
    hints.measured({ hostId: "h1" }, 40);
    for (const id of ["r1", "r2", "r3"]) hints.measured({ replicaId: id }, id === "r1" ? 3 : 40);
    expect(picks(hints, route(REPLICAS), 100).get("r1")).toBeGreaterThan(400);
  });

  it("forgets a dropped replica's times with its position; round-robin measures nothing", () => {
    const { hints } = measuredHints({ r3: 40 });
    expect(hints.estimate({ replicaId: "r3" })).toBe(40);
    hints.forget("r3");
    expect(hints.estimate({ replicaId: "r3" })).toBeUndefined();
    const rr = new ReplicaHints(Date.now, 10_000, { policy: "round-robin" });
    rr.measured({ hostId: "h1" }, 3);
    expect(rr.estimate({ hostId: "h1" })).toBeUndefined();
    expect([0, 1, 2, 3].map(() => rr.pick(route(REPLICAS), 100)?.id ?? "host")).toEqual(["host", "r1", "r2", "r3"]);
  });
});
