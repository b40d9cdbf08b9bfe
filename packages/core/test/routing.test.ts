import { describe, expect, it } from "vitest";
import { ShardcastError } from "../src/errors.ts";
import { keyHash } from "../src/hash.ts";
import { equalRanges } from "../src/layout.ts";
import { RoutingTable } from "../src/routing.ts";
import { HASH_SPACE, type ShardletRoute } from "../src/types.ts";
import { createRng } from "../src/workload/rng.ts";

const STREAM = "stream-1";
const MAX = HASH_SPACE - 1;

function route(id: string, lo: number, hi: number, extra: Partial<ShardletRoute> = {}): ShardletRoute {
  return { id, streamId: STREAM, shardId: "shard-0", lo, hi, hostId: "host-a", epoch: 1, state: "active", ...extra };
}

/** `count` shardlets with random widths tiling the hash space, in shuffled order. */
function randomTiling(count: number, seed: number): ShardletRoute[] {
  const rng = createRng(seed);
  const cuts = new Set<number>();
  while (cuts.size < count - 1) cuts.add(1 + rng.int(MAX));
  const bounds = [0, ...[...cuts].sort((a, b) => a - b), HASH_SPACE];
  const routes = bounds.slice(0, -1).map((lo, i) => route(`s${i}`, lo, bounds[i + 1]!, { hostId: `h${i % 3}` }));
  for (let i = routes.length - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [routes[i], routes[j]] = [routes[j]!, routes[i]!];
  }
  return routes;
}

function linearScan(routes: readonly ShardletRoute[], hash: number): ShardletRoute | undefined {
  return routes.find((r) => r.state !== "retired" && r.lo <= hash && hash < r.hi);
}

function buildError(shardlets: ShardletRoute[]): ShardcastError {
  try {
    RoutingTable.build(STREAM, shardlets);
  } catch (err) {
    if (err instanceof ShardcastError) return err;
    throw err;
  }
  throw new Error("build did not throw");
}

describe("RoutingTable.build", () => {
  it("accepts a single shardlet covering everything", () => {
    const t = RoutingTable.build(STREAM, [route("only", 0, HASH_SPACE)]);
    expect(t.size).toBe(1);
    expect(t.lookup(0).id).toBe("only");
    expect(t.lookup(MAX).id).toBe("only");
  });

  it("sorts by lo and ignores retired shardlets", () => {
    const t = RoutingTable.build(STREAM, [
      route("b", 2 ** 31, HASH_SPACE),
      route("old", 0, HASH_SPACE, { state: "retired" }),
      route("a", 0, 2 ** 31, { state: "splitting" }),
    ]);
    expect(t.all().map((r) => r.id)).toEqual(["a", "b"]);
    expect(t.size).toBe(2);
    expect(t.byId("old")).toBeUndefined();
    expect(t.byId("a")?.state).toBe("splitting");
  });

  it("names a gap in the middle", () => {
    const err = buildError([route("a", 0, 1000), route("b", 1500, HASH_SPACE)]);
    expect(err.code).toBe("internal");
    expect(err.message).toContain("gap: hashes [1000, 1500) are not covered");
    expect(err.message).toContain("a [0, 1000)");
    expect(err.message).toContain("b [1500, 4294967296)");
    expect(err.details?.gap).toEqual([1000, 1500]);
  });

  it("names a gap at the start and at the end", () => {
    expect(buildError([route("a", 10, HASH_SPACE)]).message).toContain("gap: hashes [0, 10) are not covered (before a");
    expect(buildError([route("a", 0, MAX)]).message).toContain(`gap: hashes [${MAX}, ${HASH_SPACE}) are not covered (after a`);
  });

  it("names an overlap", () => {
    const err = buildError([route("a", 0, 2000), route("b", 1500, HASH_SPACE)]);
    expect(err.message).toContain("overlap: a [0, 2000) and b [1500, 4294967296) both cover [1500, 2000)");
    expect(err.details?.shardletIds).toEqual(["a", "b"]);
  });

  it("treats a retired shardlet that came back to life as an overlap", () => {
    const err = buildError([route("parent", 0, HASH_SPACE), route("c1", 0, 2 ** 31), route("c2", 2 ** 31, HASH_SPACE)]);
    expect(err.message).toContain("overlap");
  });

  it("rejects empty, inverted, fractional and out-of-space ranges", () => {
    expect(buildError([route("e", 5, 5), route("a", 0, HASH_SPACE)]).message).toContain("e [5, 5) is not a non-empty");
    expect(buildError([route("i", 10, 5)]).message).toContain("not a non-empty");
    expect(buildError([route("f", 0, 1.5)]).message).toContain("not a non-empty");
    expect(buildError([route("o", 0, HASH_SPACE + 1)]).message).toContain("not a non-empty");
    expect(buildError([route("n", -1, HASH_SPACE)]).message).toContain("not a non-empty");
  });

  it("rejects no live shardlets, duplicate ids and foreign streams", () => {
    expect(buildError([]).message).toContain("no live shardlets");
    expect(buildError([route("a", 0, HASH_SPACE, { state: "retired" })]).message).toContain("no live shardlets");
    expect(buildError([route("a", 0, 10), route("a", 10, HASH_SPACE)]).message).toContain("a appears twice");
    expect(buildError([route("a", 0, HASH_SPACE, { streamId: "other" })]).message).toContain("belongs to stream other");
  });

  it("copies its input, so later mutation of the caller's objects does not leak in", () => {
    const input = [route("a", 0, HASH_SPACE)];
    const t = RoutingTable.build(STREAM, input);
    input[0]!.hostId = "mutated";
    expect(t.lookup(0).hostId).toBe("host-a");
  });
});

describe("RoutingTable.lookup", () => {
  it("routes boundary hashes to the right shardlet", () => {
    const ranges = equalRanges(0, HASH_SPACE, 7);
    const t = RoutingTable.build(
      STREAM,
      ranges.map(([lo, hi], i) => route(`s${i}`, lo, hi)),
    );
    expect(t.lookup(0).id).toBe("s0");
    expect(t.lookup(MAX).id).toBe("s6");
    ranges.forEach(([lo, hi], i) => {
      expect(t.lookup(lo).id).toBe(`s${i}`);
      expect(t.lookup(hi - 1).id).toBe(`s${i}`);
      if (hi < HASH_SPACE) expect(t.lookup(hi).id).toBe(`s${i + 1}`);
    });
  });

  it("takes hashes modulo 2^32 (signed 32-bit input)", () => {
    const t = RoutingTable.build(STREAM, [route("lo", 0, 2 ** 31), route("hi", 2 ** 31, HASH_SPACE)]);
    expect(t.lookup(-1).id).toBe("hi");
    expect(t.lookup(-1 >>> 0).id).toBe("hi");
    expect(t.lookup(2 ** 31 - 1).id).toBe("lo");
  });

  for (const count of [1, 2, 3, 16, 1000, 10_000]) {
    it(`agrees with a linear scan on random hashes (${count} shardlets)`, () => {
      const shardlets = randomTiling(count, count);
      const t = RoutingTable.build(STREAM, shardlets);
      expect(t.size).toBe(count);
      const rng = createRng(`hashes-${count}`);
      for (let i = 0; i < 3000; i++) {
        const h = rng.uint32();
        expect(t.lookup(h).id).toBe(linearScan(shardlets, h)?.id);
      }
      for (const s of shardlets) {
        expect(t.lookup(s.lo).id).toBe(s.id);
        expect(t.lookup(s.hi - 1).id).toBe(s.id);
      }
      expect(t.indexOf(0)).toBe(0);
      expect(t.indexOf(MAX)).toBe(count - 1);
    });
  }

  it("agrees with a linear scan where hot ranges were split very finely (skewed buckets)", () => {
    // 4000 one-to-few-hash-wide shardlets at the start, 3000 in the middle, a few wide ones elsewhere.
    const bounds = new Set<number>([0, HASH_SPACE]);
    for (let i = 1; i <= 4000; i++) bounds.add(i * 3);
    for (let i = 0; i < 3000; i++) bounds.add(2 ** 31 + i);
    for (const b of [2 ** 20, 2 ** 30, 3 * 2 ** 30, MAX]) bounds.add(b);
    const sorted = [...bounds].sort((a, b) => a - b);
    const shardlets = sorted.slice(0, -1).map((lo, i) => route(`k${i}`, lo, sorted[i + 1]!));
    const t = RoutingTable.build(STREAM, shardlets);
    const rng = createRng("skewed");
    const probes: number[] = [];
    for (let i = 0; i < 2000; i++) probes.push(rng.uint32(), rng.int(13_000), 2 ** 31 - 5 + rng.int(3010));
    for (const s of shardlets) probes.push(s.lo, s.hi - 1);
    for (const h of probes) expect(t.lookup(h).id).toBe(linearScan(shardlets, h)?.id);
  });

  it("handles boundaries that fall exactly on radix bucket starts", () => {
    for (const count of [2, 16, 1024, 4096]) {
      const shardlets = equalRanges(0, HASH_SPACE, count).map(([lo, hi], i) => route(`e${i}`, lo, hi));
      const t = RoutingTable.build(STREAM, shardlets);
      for (const s of shardlets) {
        expect(t.lookup(s.lo).id).toBe(s.id);
        expect(t.lookup(s.hi - 1).id).toBe(s.id);
      }
    }
  });

  it("route(key) is lookup(keyHash(key))", () => {
    const t = RoutingTable.build(STREAM, randomTiling(64, 7));
    for (const key of ["user-1", "user-2", "ключ", "🚀", ""]) {
      expect(t.route(key)).toBe(t.lookup(keyHash(key)));
    }
  });
});

describe("RoutingTable.version", () => {
  const base = () => [route("a", 0, 1000, { epoch: 3 }), route("b", 1000, HASH_SPACE, { epoch: 5, hostId: "host-b" })];
  const version = (s: ShardletRoute[]) => RoutingTable.build(STREAM, s).version;

  it("is stable for the same shardlets in any order", () => {
    expect(version(base())).toBe(version(base().reverse()));
    expect(Number.isSafeInteger(version(base()))).toBe(true);
  });

  it("changes when an epoch, range, host or state changes, or a shardlet is replaced", () => {
    const v0 = version(base());
    const variants: Array<(s: ShardletRoute[]) => void> = [
      (s) => (s[0]!.epoch = 4),
      (s) => (s[0]!.hostId = "host-c"),
      (s) => (s[0]!.state = "migrating"),
      (s) => {
        s[0]!.hi = 2000;
        s[1]!.lo = 2000;
      },
      (s) => (s[1]!.id = "b2"),
    ];
    const seen = new Set([v0]);
    for (const change of variants) {
      const s = base();
      change(s);
      const v = version(s);
      expect(seen.has(v)).toBe(false);
      seen.add(v);
    }
  });

  it("ignores retired shardlets", () => {
    expect(version([...base(), route("gone", 0, HASH_SPACE, { state: "retired" })])).toBe(version(base()));
  });
});
