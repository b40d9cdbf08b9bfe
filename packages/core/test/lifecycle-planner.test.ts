import { describe, expect, it } from "vitest";
import { keyHash } from "../src/hash.ts";
import { chooseSplitPoint, planLifecycle, type LoadProfile, type PlannerShardlet } from "../src/lifecycle/planner.ts";
import { parseLifecycleSettings } from "../src/lifecycle/settings.ts";
import { HASH_SPACE } from "../src/types.ts";
import { createRng } from "../src/workload/rng.ts";

const settings = parseLifecycleSettings({
  initialCapacityBytes: 1024 * 1024,
  splitThreshold: 0.8,
  splitWriteRate: 1000,
  mergeThreshold: 0.2,
  mergeWriteRate: 10,
  minShardletWidth: 1024,
  maxShardletsPerStream: 100,
});
const MIB = 1024 * 1024;

function sl(id: string, lo: number, hi: number, extra: Partial<PlannerShardlet> = {}): PlannerShardlet {
  return {
    id,
    streamId: "st",
    shardId: "shard-0",
    lo,
    hi,
    hostId: "h1",
    state: "active",
    sizeBytes: 0,
    capacityBytes: MIB,
    writeRate: 0,
    parentId: null,
    ...extra,
  };
}

/** The load profile a host would report for these hashes (percentile_disc(0.5)). */
function profile(hashes: number[]): LoadProfile {
  const sorted = [...hashes].sort((a, b) => a - b);
  return { median: sorted[Math.ceil(sorted.length / 2) - 1]!, min: sorted[0]!, max: sorted[sorted.length - 1]!, rows: sorted.length };
}

describe("chooseSplitPoint", () => {
  it("splits at the midpoint when nothing is known about the load", () => {
    expect(chooseSplitPoint(0, 1000, null, 10)).toEqual({ at: 500, basis: "midpoint" });
  });

  it("splits skewed data at its load median, off-centre, so each child takes half the events", () => {
    // 90% of the keys sit in the lowest tenth of the range.
    const rng = createRng(7);
    const lo = 0;
    const hi = HASH_SPACE;
    const hashes: number[] = [];
    for (let i = 0; i < 2000; i++) {
      const h = keyHash(`user-${i}`);
      if (i % 10 === 0 || h < hi / 10) hashes.push(h);
      else hashes.push(rng.int(Math.floor(hi / 10)));
    }
    const p = chooseSplitPoint(lo, hi, profile(hashes), 1024);
    expect(p.at).not.toBeNull();
    const at = p.at!;
    expect(at).toBeLessThan(hi / 5); // far from the midpoint
    const left = hashes.filter((h) => h < at).length;
    expect(Math.abs(left - hashes.length / 2)).toBeLessThan(hashes.length * 0.02);
  });

  it("takes a plain median hash as well", () => {
    expect(chooseSplitPoint(0, 10_000, 1234, 10)).toEqual({ at: 1234, basis: "median" });
  });

  it("clamps so both children keep the minimum width", () => {
    expect(chooseSplitPoint(1000, 2000, profile([1001, 1002, 1003]), 100)).toEqual({ at: 1100, basis: "clamped" });
    expect(chooseSplitPoint(1000, 2000, profile([1990, 1995, 1999]), 100)).toEqual({ at: 1900, basis: "clamped" });
  });

  it("cuts above the median when the heaviest key is also the lowest", () => {
    const p = chooseSplitPoint(0, 10_000, profile([500, 500, 500, 500, 9000]), 10);
    expect(p).toEqual({ at: 501, basis: "median" });
  });

  it("refuses a range too narrow for two children", () => {
    const p = chooseSplitPoint(0, 150, null, 100);
    expect(p.at).toBeNull();
    expect(p.at === null && p.reason).toMatch(/narrower than twice the minimum width 100/);
  });

  it("refuses when every event sits on one key hash", () => {
    const p = chooseSplitPoint(0, 1_000_000, profile([4242, 4242, 4242]), 10);
    expect(p.at).toBeNull();
    expect(p.at === null && p.reason).toMatch(/share one key hash \(4242\)/);
  });
});

describe("planLifecycle", () => {
  const q = HASH_SPACE / 4;

  it("splits past the size threshold or the write-rate threshold, hottest first", () => {
    const plan = planLifecycle(
      [
        sl("a", 0, q, { sizeBytes: 0.85 * MIB }),
        sl("b", q, 2 * q, { sizeBytes: 0.1 * MIB, writeRate: 3000 }),
        sl("c", 2 * q, 3 * q, { sizeBytes: 0.79 * MIB, writeRate: 999 }),
        sl("d", 3 * q, HASH_SPACE, { sizeBytes: 0.95 * MIB }),
      ],
      settings,
      { busy: new Set() },
    );
    expect(plan.actions.map((a) => a.kind === "split" && a.shardletId)).toEqual(["b", "d", "a"]);
    expect(plan.actions[0]!.reason).toMatch(/write rate 3000\/s passed the split write rate 1000\/s/);
    expect(plan.actions[1]!.reason).toMatch(/fullness 95% passed the split threshold 80%/);
    expect(plan.skipped).toEqual([]);
  });

  it("never touches busy or non-active shardlets", () => {
    const plan = planLifecycle(
      [
        sl("a", 0, q, { sizeBytes: MIB }),
        sl("b", q, 2 * q, { sizeBytes: MIB, state: "splitting" }),
        sl("c", 2 * q, 3 * q),
        sl("d", 3 * q, HASH_SPACE),
      ],
      settings,
      { busy: new Set(["a", "c"]) },
    );
    expect(plan.actions).toEqual([]);
    expect(plan.skipped).toEqual([{ shardletId: "a", reason: "busy: a job holds it" }]);
  });

  it("respects the per-stream maximum, counting the splits it plans", () => {
    const capped = { ...settings, maxShardletsPerStream: 5 };
    const shardlets = [0, 1, 2, 3].map((i) => sl(`s${i}`, i * q, (i + 1) * q, { sizeBytes: (0.9 + i * 0.01) * MIB }));
    const plan = planLifecycle(shardlets, capped, { busy: new Set() });
    expect(plan.actions).toHaveLength(1);
    expect(plan.actions[0]).toMatchObject({ kind: "split", shardletId: "s3" });
    expect(plan.skipped.map((s) => s.shardletId)).toEqual(["s2", "s1", "s0"]);
    expect(plan.skipped[0]!.reason).toMatch(/maximum of 5 shardlets/);
    // Other streams are counted on their own.
    const other = planLifecycle(shardlets, capped, { busy: new Set(), liveCount: new Map([["st", 1]]) });
    expect(other.actions).toHaveLength(4);
  });

  it("skips a shardlet too narrow to split", () => {
    const plan = planLifecycle([sl("n", 0, 2000, { sizeBytes: MIB })], settings, { busy: new Set() });
    expect(plan.actions).toEqual([]);
    expect(plan.skipped[0]!.reason).toMatch(/too narrow/);
  });

  it("merges adjacent cold shardlets of one shard and host, each at most once, coldest first", () => {
    const e = HASH_SPACE / 8;
    const plan = planLifecycle(
      [
        sl("a", 0, e, { sizeBytes: 0.1 * MIB }),
        sl("b", e, 2 * e, { sizeBytes: 0.05 * MIB }),
        sl("c", 2 * e, 3 * e, { sizeBytes: 0.01 * MIB }),
        sl("d", 3 * e, 4 * e, { sizeBytes: 0.01 * MIB, hostId: "h2" }), // other host
        sl("e", 4 * e, 5 * e, { sizeBytes: 0.01 * MIB, shardId: "shard-1" }),
        sl("f", 5 * e, 6 * e, { sizeBytes: 0.01 * MIB, shardId: "shard-1", writeRate: 50 }), // warm
        sl("g", 6 * e, 7 * e, { sizeBytes: 0.3 * MIB, shardId: "shard-1" }), // too full
        sl("h", 7 * e, HASH_SPACE, { shardId: "shard-1" }),
      ],
      settings,
      { busy: new Set() },
    );
    expect(plan.actions).toEqual([
      expect.objectContaining({ kind: "merge", leftId: "b", rightId: "c" }),
    ]);
    expect(plan.actions[0]!.reason).toMatch(/both cold/);
  });

  it("does not merge a pair that would be well over half the split threshold together", () => {
    const loose = { ...settings, mergeThreshold: 0.35, splitThreshold: 0.8 };
    const plan = planLifecycle(
      [sl("a", 0, HASH_SPACE / 2, { sizeBytes: 0.3 * MIB }), sl("b", HASH_SPACE / 2, HASH_SPACE, { sizeBytes: 0.3 * MIB })],
      loose,
      { busy: new Set() },
    );
    expect(plan.actions).toEqual([]);
  });

  it("does not merge a shardlet it splits, nor a busy one", () => {
    const plan = planLifecycle(
      [sl("a", 0, q), sl("b", q, 2 * q), sl("c", 2 * q, 3 * q), sl("d", 3 * q, HASH_SPACE)],
      settings,
      { busy: new Set(["b"]) },
    );
    expect(plan.actions).toEqual([expect.objectContaining({ kind: "merge", leftId: "c", rightId: "d" })]);
  });

  it("keeps parts prepared for a predicted surge apart, yet splits them when they run hot", () => {
    const plan = planLifecycle(
      [sl("a", 0, q), sl("b", q, 2 * q, { writeRate: 5_000 }), sl("c", 2 * q, 3 * q), sl("d", 3 * q, HASH_SPACE)],
      settings,
      { busy: new Set(), keepApart: new Set(["b", "c"]) },
    );
    expect(plan.actions).toEqual([expect.objectContaining({ kind: "split", shardletId: "b" })]);
    const cold = planLifecycle([sl("a", 0, q), sl("b", q, 2 * q)], settings, { busy: new Set(), keepApart: new Set(["b"]) });
    expect(cold.actions).toEqual([]);
  });

  it("is deterministic whatever the input order on many shardlets", () => {
    const rng = createRng(11);
    const n = 20_000;
    const width = Math.floor(HASH_SPACE / n);
    const shardlets = Array.from({ length: n }, (_, i) =>
      sl(`s${String(i).padStart(5, "0")}`, i * width, i === n - 1 ? HASH_SPACE : (i + 1) * width, {
        shardId: `shard-${Math.floor(i / 100)}`,
        sizeBytes: rng.next() * MIB,
        writeRate: rng.next() * 1200,
      }),
    );
    const big = { ...settings, maxShardletsPerStream: 100_000 };
    const a = planLifecycle(shardlets, big, { busy: new Set() });
    const b = planLifecycle([...shardlets].reverse(), big, { busy: new Set() });
    expect(a).toEqual(b);
    expect(a.actions.length).toBeGreaterThan(1000);
  });
});
