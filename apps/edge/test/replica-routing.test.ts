import type { ShardletRoute } from "@shardcast/core";
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
