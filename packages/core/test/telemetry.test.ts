import { describe, expect, it } from "vitest";
import {
  alignSeries,
  bucketStart,
  bucketStarts,
  decodeBucket,
  flushCommands,
  foldDeltas,
  resolutionFor,
  sanitizeLabel,
  SpaceSaving,
  telemetryRedisKeys,
  TELEMETRY_RETENTION_MS,
  type TelemetryDeltas,
} from "../src/telemetry/index.ts";
import { createRng } from "../src/workload/rng.ts";
import { ZipfSampler } from "../src/workload/zipf.ts";

function zipfStream(n: number, keys: number, s: number, seed: string): string[] {
  const zipf = new ZipfSampler(keys, s, createRng(seed));
  return Array.from({ length: n }, () => `key-${zipf.sample()}`);
}

function exactCounts(items: readonly string[]): Map<string, number> {
  const m = new Map<string, number>();
  for (const x of items) m.set(x, (m.get(x) ?? 0) + 1);
  return m;
}

function exactTop(counts: Map<string, number>, k: number): string[] {
  return [...counts].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).slice(0, k).map(([x]) => x);
}

describe("SpaceSaving on Zipf data", () => {
  const stream = zipfStream(200_000, 50_000, 1.1, "sketch");
  const exact = exactCounts(stream);

  it("bounds every monitored count: count - error <= true <= count, and error <= total / capacity", () => {
    const sketch = new SpaceSaving(128);
    for (const x of stream) sketch.add(x);
    expect(sketch.total).toBe(stream.length);
    expect(sketch.size).toBe(128);
    for (const e of sketch.top()) {
      const truth = exact.get(e.item) ?? 0;
      expect(e.count).toBeGreaterThanOrEqual(truth);
      expect(e.count - e.error).toBeLessThanOrEqual(truth);
      expect(e.error).toBeLessThanOrEqual(stream.length / 128);
    }
  });

  it("ranks the true top 15 exactly, monitors the true top 20 and every item above total / capacity", () => {
    const sketch = new SpaceSaving(128);
    for (const x of stream) sketch.add(x);
    expect(sketch.top(15).map((e) => e.item)).toEqual(exactTop(exact, 15));
    for (const item of exactTop(exact, 20)) expect(sketch.get(item)).not.toBeNull();
    for (const [item, c] of exact) if (c > stream.length / 128) expect(sketch.get(item)).not.toBeNull();
    // The hottest key's estimate is within 1% of its true count.
    const hottest = exactTop(exact, 1)[0]!;
    expect(Math.abs(sketch.get(hottest)!.count - exact.get(hottest)!)).toBeLessThan(exact.get(hottest)! * 0.01);
  });

  it("weights add like repeated items", () => {
    const a = new SpaceSaving(4);
    const b = new SpaceSaving(4);
    for (const [x, w] of [["a", 5], ["b", 3], ["a", 2], ["c", 1]] as const) {
      a.add(x, w);
      for (let i = 0; i < w; i++) b.add(x);
    }
    expect(a.top()).toEqual(b.top());
    expect(a.top()[0]).toEqual({ item: "a", count: 7, error: 0 });
  });

  it("evicts the minimum and charges the newcomer its count as error", () => {
    const s = new SpaceSaving(2);
    s.add("a", 5);
    s.add("b", 2);
    s.add("c");
    expect(s.get("b")).toBeNull();
    expect(s.get("c")).toEqual({ item: "c", count: 3, error: 2 });
    expect(s.minCount).toBe(3);
  });

  it("merges two halves into a summary with valid bounds and the same heavy hitters", () => {
    const left = new SpaceSaving(128);
    const right = new SpaceSaving(128);
    stream.forEach((x, i) => (i % 2 === 0 ? left : right).add(x));
    left.merge(right);
    expect(left.total).toBe(stream.length);
    expect(left.size).toBeLessThanOrEqual(128);
    for (const e of left.top()) {
      const truth = exact.get(e.item) ?? 0;
      expect(e.count).toBeGreaterThanOrEqual(truth);
      expect(e.count - e.error).toBeLessThanOrEqual(truth);
    }
    expect(left.top(15).map((e) => e.item)).toEqual(exactTop(exact, 15));
  });
});

describe("buckets", () => {
  it("aligns bucket starts to the epoch", () => {
    expect(bucketStart(1_234_567, 10)).toBe(1_230_000);
    expect(bucketStart(1_230_000, 10)).toBe(1_230_000);
    expect(bucketStart(3_599_999, 3600)).toBe(0);
    expect(bucketStarts(5_000, 31_000, 10)).toEqual([0, 10_000, 20_000, 30_000]);
  });

  it("chooses the finest resolution that is still retained and not too dense", () => {
    const now = 10 * 86_400_000;
    expect(resolutionFor(now - 600_000, now, now)).toBe(10);
    expect(resolutionFor(now - 1.2 * 86_400_000, now, now)).toBe(60);
    // Two days of minutes is more than 2,000 points: hours.
    expect(resolutionFor(now - 2 * 86_400_000, now, now)).toBe(3600);
    expect(resolutionFor(now - 20 * 86_400_000, now, now)).toBe(3600);
    expect(resolutionFor(now - 3_600_000, now, now, 100)).toBe(60);
    expect(resolutionFor(now - TELEMETRY_RETENTION_MS[10] - 1, now - 3_600_000, now)).toBe(60);
  });

  it("lays bucket values out on a dense series", () => {
    expect(alignSeries([{ bucketStart: 10_000, value: 3 }, { bucketStart: 70_000, value: 2 }, { bucketStart: 80_000, value: 1 }, { bucketStart: 500_000, value: 9 }], 0, 60_000, 3)).toEqual([3, 3, 0]);
  });
});

describe("Redis field encoding", () => {
  const deltas: TelemetryDeltas = {
    shardlets: [
      { bucketStart: 10_000, streamId: "s1", shardletId: "a", writes: 5, reads: 2, bytesWritten: 500, bytesRead: 80, latencySumMs: 12.5, latencyCount: 5, latencyMaxMs: 4.25, minSeqRead: 17 },
      { bucketStart: 20_000, streamId: "s1", shardletId: "b", writes: 0, reads: 7, bytesWritten: 0, bytesRead: 70, latencySumMs: 0, latencyCount: 0, latencyMaxMs: 0 },
    ],
    hotKeys: [{ bucketStart: 10_000, streamId: "s1", key: "user\t42 weird", writes: 4, reads: 1, error: 2 }],
    clients: [{ bucketStart: 20_000, streamId: "s1", shardletId: "b", client: "svc-a", clientGroup: "default", reads: 7 }],
  };

  /** Applies the commands to an in-memory imitation of the few Redis commands flushes use. */
  function apply(cmds: ReturnType<typeof flushCommands>) {
    const hashes = new Map<string, Map<string, number>>();
    const zsets = new Map<string, Map<string, number>>();
    for (const [cmd, key, ...args] of cmds) {
      const k = String(key);
      if (cmd === "hincrby" || cmd === "hincrbyfloat") {
        const h = hashes.get(k) ?? new Map<string, number>();
        hashes.set(k, h);
        h.set(String(args[0]), (h.get(String(args[0])) ?? 0) + Number(args[1]));
      } else if (cmd === "zadd") {
        const z = zsets.get(k) ?? new Map<string, number>();
        zsets.set(k, z);
        const mode = args[0] === "GT" || args[0] === "LT" ? args[0] : null;
        const [score, member] = mode ? [Number(args[1]), String(args[2])] : [Number(args[0]), String(args[1])];
        const cur = z.get(member);
        if (cur === undefined || !mode || (mode === "GT" ? score > cur : score < cur)) z.set(member, score);
      }
    }
    return { hashes, zsets };
  }

  it("round-trips through flush commands and decodeBucket, keys with tabs included", () => {
    const keys = telemetryRedisKeys("pfx");
    const cmds = flushCommands("pfx", deltas, { ttlSec: 60 });
    expect(cmds.filter(([c]) => c === "expire").every(([, , ttl]) => ttl === 60)).toBe(true);
    // A second flush of a smaller latency maximum must not lower it, nor a higher position read raise the lowest.
    const again = flushCommands("pfx", { shardlets: [{ ...deltas.shardlets[0]!, latencyMaxMs: 1, minSeqRead: 30 }], hotKeys: [], clients: [] }, { ttlSec: 60 });
    const { hashes, zsets } = apply([...cmds, ...again]);
    expect([...zsets.get(keys.dirty)!.keys()].sort()).toEqual(["10000", "20000"]);
    const flat = (z?: Map<string, number>) => [...(z ?? new Map<string, number>())].flatMap(([m, s]) => [m, String(s)]);
    const rec = (h?: Map<string, number>) => Object.fromEntries([...(h ?? new Map<string, number>())].map(([f, v]) => [f, String(v)]));
    const b1 = decodeBucket(10_000, {
      counters: rec(hashes.get(keys.bucket("c", 10_000))),
      maxima: flat(zsets.get(keys.bucket("x", 10_000))),
      hotKeys: rec(hashes.get(keys.bucket("k", 10_000))),
      clients: rec(hashes.get(keys.bucket("r", 10_000))),
      minima: flat(zsets.get(keys.bucket("n", 10_000))),
    });
    expect(b1.malformed).toBe(0);
    expect(b1.deltas.shardlets).toEqual([{ ...deltas.shardlets[0]!, writes: 10, reads: 4, bytesWritten: 1000, bytesRead: 160, latencySumMs: 25, latencyCount: 10 }]);
    expect(b1.deltas.hotKeys).toEqual([deltas.hotKeys[0]]);
    const b2 = decodeBucket(20_000, {
      counters: rec(hashes.get(keys.bucket("c", 20_000))),
      maxima: [],
      hotKeys: {},
      clients: rec(hashes.get(keys.bucket("r", 20_000))),
    });
    expect(b2.deltas.shardlets).toEqual([deltas.shardlets[1]]);
    expect(b2.deltas.clients).toEqual(deltas.clients);
  });

  it("counts malformed fields instead of failing", () => {
    const r = decodeBucket(0, { counters: { "s\ta\tw": "3", "s\ta\tzz": "1", "bad": "1", "s\tb\tr": "NaN" }, maxima: ["x", "1"], hotKeys: { nokey: "1" }, clients: { "s\ta\tc": "1" }, minima: ["s\ta", "1.5", "y", "2"] });
    expect(r.malformed).toBe(8);
    expect(r.deltas.shardlets).toEqual([expect.objectContaining({ shardletId: "a", writes: 3 })]);
  });
});

describe("folding into coarser resolutions", () => {
  it("sums counters, keeps the largest latency and the lowest position read, and orders rows by key", () => {
    const base = { streamId: "s", reads: 0, bytesRead: 0, bytesWritten: 0 };
    const folded = foldDeltas(
      {
        shardlets: [
          { ...base, bucketStart: 70_000, shardletId: "b", writes: 1, latencySumMs: 2, latencyCount: 1, latencyMaxMs: 2, minSeqRead: 8 },
          { ...base, bucketStart: 60_000, shardletId: "b", writes: 2, latencySumMs: 9, latencyCount: 2, latencyMaxMs: 7 },
          { ...base, bucketStart: 80_000, shardletId: "b", writes: 0, latencySumMs: 0, latencyCount: 0, latencyMaxMs: 0, minSeqRead: 12 },
          { ...base, bucketStart: 10_000, shardletId: "a", writes: 4, latencySumMs: 0, latencyCount: 0, latencyMaxMs: 0 },
        ],
        hotKeys: [
          { bucketStart: 10_000, streamId: "s", key: "k", writes: 1, reads: 2, error: 0 },
          { bucketStart: 50_000, streamId: "s", key: "k", writes: 3, reads: 0, error: 1 },
        ],
        clients: [
          { bucketStart: 0, streamId: "s", shardletId: "a", client: "c", clientGroup: "g", reads: 1 },
          { bucketStart: 30_000, streamId: "s", shardletId: "a", client: "c", clientGroup: "g", reads: 2 },
        ],
      },
      60,
    );
    expect(folded.shardlets).toEqual([
      { ...base, bucketStart: 0, shardletId: "a", writes: 4, latencySumMs: 0, latencyCount: 0, latencyMaxMs: 0 },
      { ...base, bucketStart: 60_000, shardletId: "b", writes: 3, latencySumMs: 11, latencyCount: 3, latencyMaxMs: 7, minSeqRead: 8 },
    ]);
    expect(folded.hotKeys).toEqual([{ bucketStart: 0, streamId: "s", key: "k", writes: 4, reads: 2, error: 1 }]);
    expect(folded.clients).toEqual([{ bucketStart: 0, streamId: "s", shardletId: "a", client: "c", clientGroup: "g", reads: 3 }]);
  });
});

describe("client labels", () => {
  it("sanitizes, cuts and rejects empty labels", () => {
    expect(sanitizeLabel("  billing-svc ")).toBe("billing-svc");
    expect(sanitizeLabel("a b\tc;d")).toBe("a_b_c_d");
    expect(sanitizeLabel("x".repeat(100))).toHaveLength(64);
    expect(sanitizeLabel("   ")).toBeNull();
    expect(sanitizeLabel("\t\t")).toBeNull();
    expect(sanitizeLabel(undefined)).toBeNull();
  });
});
