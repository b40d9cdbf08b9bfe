import { describe, expect, it } from "vitest";
import { CacheStats } from "../src/cache/cache-stats.ts";

const cache = { entries: 0, bytes: 0, maxBytes: 1, marginalValuePerByte: 0, horizonMs: 10_000 };

describe("cache stats snapshot", () => {
  it("lists the busiest shardlets overall and every stream's busiest, however quiet the stream", () => {
    const stats = new CacheStats();
    for (let i = 0; i < 60; i++) for (let r = 0; r < 5 + i; r++) stats.part("busy", `b-${i}`, true, 10, 0);
    stats.part("ledger", "l-1", false, 0, 10);
    stats.part("ledger", "l-2", true, 10, 0);
    stats.part("ledger", "l-2", true, 10, 0);
    const snap = stats.snapshot(0, cache);
    const busy = snap.shardlets.filter((s) => s.streamId === "busy");
    expect(busy).toHaveLength(50);
    // The 50 busiest of the busy stream: the ten quietest are left out.
    expect(busy.map((s) => s.shardletId)).not.toContain("b-9");
    expect(busy.map((s) => s.shardletId)).toContain("b-10");
    expect(snap.shardlets.filter((s) => s.streamId === "ledger").map((s) => [s.shardletId, s.hits, s.misses])).toEqual([
      ["l-2", 2, 0],
      ["l-1", 0, 1],
    ]);
    expect(snap).toMatchObject({ hits: 2 + busyReads(60), misses: 1 });
  });
});

function busyReads(n: number): number {
  let sum = 0;
  for (let i = 0; i < n; i++) sum += 5 + i;
  return sum;
}
