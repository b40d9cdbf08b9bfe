import { describe, expect, it } from "vitest";
import { assignShardlets, MIN_WEIGHT, memberWeights, parseMemberTelemetry, processingRate, weightsOf, type MemberTelemetry, type WeighedMember } from "../src/index.ts";

const pad = (i: number) => String(i).padStart(3, "0");
const telemetry = (events: number, handlerMs: number): MemberTelemetry => ({ cpu: 0.5, rssBytes: 1e8, heapUsedBytes: 5e7, loopLagMs: 2, events, handlerMs });

function member(id: string, t: MemberTelemetry | null, capacity: number | null = null, at = 10_000): WeighedMember {
  return { id, telemetry: t, telemetryAt: t ? at : null, lastSeenAt: 10_000, sessionTimeoutMs: 15_000, capacity };
}

/** Per member: total load, and load per unit of weight. */
function loads(assignment: ReadonlyMap<string, string>, shardlets: ReadonlyArray<{ id: string; load: number }>) {
  const out = new Map<string, number>();
  for (const s of shardlets) {
    const m = assignment.get(s.id);
    if (m !== undefined) out.set(m, (out.get(m) ?? 0) + s.load);
  }
  return out;
}

describe("memberWeights", () => {
  it("weighs a member three times slower at a third of the others", () => {
    const r = memberWeights([member("a", telemetry(3000, 3000)), member("b", telemetry(3000, 3000)), member("slow", telemetry(1000, 3000))], { mode: "throughput" });
    expect(r.weights.get("a")).toBe(1);
    expect(r.weights.get("b")).toBe(1);
    expect(r.weights.get("slow")).toBeCloseTo(1 / 3, 6);
    expect(r.capacity.get("slow")).toBeCloseTo(333.33, 1);
    expect(r.changed.sort()).toEqual(["a", "b", "slow"]);
  });

  it("falls back to equal weights without telemetry, with a sample too young, or with telemetry a session old", () => {
    const none = memberWeights([member("a", null), member("b", null)], { mode: "throughput" });
    expect([...none.weights.values()]).toEqual([1, 1]);
    expect(none.changed).toEqual([]);
    // Too few events, or too little handler time (a near-idle handler says nothing about speed).
    const young = memberWeights([member("a", telemetry(40, 5000)), member("b", telemetry(5000, 500))], { mode: "throughput" });
    expect([...young.weights.values()]).toEqual([1, 1]);
    expect([...young.capacity.values()]).toEqual([null, null]);
    // The member kept talking for a whole session without sending telemetry again.
    const stale = memberWeights([{ ...member("a", telemetry(1000, 3000), null, 10_000), lastSeenAt: 30_000 }, member("b", telemetry(3000, 3000))], { mode: "throughput" });
    expect(stale.capacity.get("a")).toBeNull();
    expect(stale.weights.get("a")).toBe(1);
  });

  it("weighs an unmeasured member as a typical measured one", () => {
    const r = memberWeights([member("a", telemetry(4000, 2000)), member("b", telemetry(2000, 2000)), member("new", null)], { mode: "throughput" });
    // Measured 2000/s and 1000/s: the median, 1500/s, is the reference the newcomer takes.
    expect(r.weights.get("new")).toBe(1);
    expect(r.weights.get("a")! / r.weights.get("b")!).toBeCloseTo(2, 6);
  });

  it("keeps the stored capacity while the measurement stays within the band (no flapping)", () => {
    const within = memberWeights([member("a", telemetry(1250, 1000), 1000), member("b", telemetry(800, 1000), 1000)], { mode: "throughput" });
    expect(within.changed).toEqual([]);
    expect([...within.weights.values()]).toEqual([1, 1]);
    const beyond = memberWeights([member("a", telemetry(1400, 1000), 1000), member("b", telemetry(700, 1000), 1000)], { mode: "throughput" });
    expect(beyond.changed.sort()).toEqual(["a", "b"]);
    expect(beyond.capacity.get("a")).toBe(1400);
  });

  it("clears stored capacities and weighs all the same in equal mode", () => {
    const r = memberWeights([member("a", telemetry(3000, 1000), 3000), member("b", telemetry(1000, 1000), 1000)], { mode: "equal" });
    expect([...r.weights.values()]).toEqual([1, 1]);
    expect(r.changed.sort()).toEqual(["a", "b"]);
    expect([...r.capacity.values()]).toEqual([null, null]);
  });

  it("derives weights from stored capacities alone (what the console shows)", () => {
    expect(weightsOf(new Map([["a", 300], ["b", 100], ["c", null]]))).toEqual(new Map([["a", 1.5], ["b", 0.5], ["c", 1]]));
    expect(weightsOf(new Map([["a", null]]))).toEqual(new Map([["a", 1]]));
  });

  it("never weighs a member at nothing", () => {
    const r = memberWeights([member("a", telemetry(100_000, 1000)), member("b", telemetry(100_000, 1000)), member("crawl", telemetry(300, 100_000))], { mode: "throughput" });
    expect(r.weights.get("crawl")).toBe(MIN_WEIGHT);
  });
});

describe("telemetry", () => {
  it("parses what it stored and refuses the rest", () => {
    expect(parseMemberTelemetry(telemetry(10, 20))).toEqual(telemetry(10, 20));
    expect(parseMemberTelemetry({ ...telemetry(10, 20), cpu: -1 })).toBeNull();
    expect(parseMemberTelemetry({ ...telemetry(10, 20), extra: 1 })).toBeNull();
    expect(parseMemberTelemetry(null)).toBeNull();
    expect(processingRate({ events: 500, handlerMs: 250 })).toBe(2000);
    expect(processingRate({ events: 500, handlerMs: 0 })).toBeNull();
  });
});

describe("assignShardlets with member weights", () => {
  const shardlets = Array.from({ length: 24 }, (_, i) => ({ id: `s${pad(i)}`, load: 10 }));

  it("gives a member of weight 1/3 about a third of the others' load", () => {
    const r = assignShardlets({ members: [{ id: "a" }, { id: "b" }, { id: "slow", weight: 1 / 3 }], shardlets, current: new Map() });
    const l = loads(r.assignment, shardlets);
    // 240 over 2 + 1/3 units: 103 each for a and b, 34 for the slow one (3 or 4 shardlets).
    expect(l.get("slow")).toBeGreaterThanOrEqual(30);
    expect(l.get("slow")).toBeLessThanOrEqual(40);
    expect(Math.abs(l.get("a")! - l.get("b")!)).toBeLessThanOrEqual(20);
  });

  it("moves load off a member found slow, and only from it, then settles", () => {
    const ids = ["a", "b", "c"];
    const before = assignShardlets({ members: ids.map((id) => ({ id })), shardlets, current: new Map() }).assignment;
    expect(loads(before, shardlets).get("c")).toBe(80);
    const weighed = [{ id: "a" }, { id: "b" }, { id: "c", weight: 1 / 3 }];
    const r = assignShardlets({ members: weighed, shardlets, current: before });
    expect(r.moved.length).toBeGreaterThan(0);
    expect(r.moved.every((m) => m.from === "c")).toBe(true);
    expect(loads(r.assignment, shardlets).get("c")).toBeLessThanOrEqual(40);
    // Settled: asked again with the same weights, nothing moves.
    expect(assignShardlets({ members: weighed, shardlets, current: r.assignment }).moved).toEqual([]);
  });

  it("does not starve the slowest member while there are shardlets enough", () => {
    const r = assignShardlets({ members: [{ id: "a" }, { id: "b" }, { id: "crawl", weight: MIN_WEIGHT }], shardlets, current: new Map() });
    expect(loads(r.assignment, shardlets).get("crawl")).toBeGreaterThan(0);
  });

  it("balances exactly as before when every weight is 1", () => {
    const skew = shardlets.map((s, i) => ({ ...s, load: (i * 37) % 101 }));
    const plain = assignShardlets({ members: [{ id: "a" }, { id: "b" }, { id: "c" }], shardlets: skew, current: new Map() });
    const ones = assignShardlets({ members: [{ id: "a", weight: 1 }, { id: "b", weight: 1 }, { id: "c", weight: 1 }], shardlets: skew, current: new Map() });
    expect(ones).toEqual(plain);
  });
});
