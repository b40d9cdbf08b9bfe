import { describe, expect, it } from "vitest";
import { createRng, parseProfilerSettings, ShardletProfile } from "@shardcast/core";
import type { RouteEntry } from "../src/routing-cache.ts";
import { EdgeProfiler } from "../src/telemetry/profiler.ts";

// recordRead reads only the stream's id and name from its route entry.
const entry = { meta: { id: "stream-1", name: "orders" } } as unknown as RouteEntry;

describe("draining the profiler", () => {
  it("encodes one profile per turn of the event loop, and keeps what is profiled meanwhile for the next drain", async () => {
    const profiler = new EdgeProfiler({ settings: () => parseProfilerSettings({ sampleRate: 1 }) });
    for (let i = 0; i < 20; i++) profiler.recordRead(entry, [`shardlet-${i}`], 1 + i);
    let turns = 0;
    let running = true;
    const tick = () => {
      if (!running) return;
      turns++;
      // A read answered while the flush encodes: it belongs to the next drain, and is not lost.
      if (turns === 5) profiler.recordRead(entry, ["shardlet-late"], 3);
      setImmediate(tick);
    };
    setImmediate(tick);
    const first = await profiler.drain();
    running = false;
    expect(first.map((d) => d.shardletId).sort()).toEqual(Array.from({ length: 20 }, (_, i) => `shardlet-${i}`).sort());
    for (const d of first) expect(d.streamId).toBe("stream-1");
    // Other work ran between the profiles: a drain of all twenty at once would let it run at most once.
    expect(turns).toBeGreaterThanOrEqual(19);
    const second = await profiler.drain();
    expect(second.map((d) => d.shardletId)).toEqual(["shardlet-late"]);
    expect(await profiler.drain()).toEqual([]);
    expect(profiler.errors).toBe(0);
  });
});

describe("sampling written events", () => {
  const table = { lookup: () => ({ id: "s1", lo: 0, hi: 2 ** 32 }) };
  const written = { meta: { id: "stream-1", name: "orders" }, table } as unknown as RouteEntry;
  const batch = (n: number, from: number) =>
    Array.from({ length: n }, (_, i) => ({ key: `k${from + i}`, id: null, type: "t", ts: 0, payloadJson: `{"region":"eu","n":${i}}`, sizeBytes: 20, payload: { region: "eu", n: i } }));

  it("samples each acknowledged event with the stream's rate and counts every one in the ack sketches", async () => {
    // A seeded uniform source: the same samples every run.
    const rng = createRng("profiler-sampling");
    const random = () => rng.next();
    const profiler = new EdgeProfiler({ settings: () => parseProfilerSettings({ sampleRate: 0.1, streams: { orders: { keyFields: ["region"] } } }), random });
    let acked = 0;
    for (let b = 0; b < 100; b++) {
      const events = batch(500, b * 500);
      // Every fifth event is a duplicate (not acknowledged as new) and half go to another shardlet.
      const outcomes = events.map((_, i) => ({ shardletId: i % 2 === 0 ? "s1" : "s2", duplicate: i % 5 === 0 }));
      acked += outcomes.filter((o) => !o.duplicate).length;
      profiler.recordWrites(written, events, outcomes, 7);
    }
    const profiles = (await profiler.drain()).map((d) => ({ shardletId: d.shardletId, p: ShardletProfile.fromData(d.profile) }));
    const sampled = profiles.reduce((n, x) => n + x.p.sampled, 0);
    // 40,000 acknowledged events at 10%: 4,000 expected, a standard deviation of 60.
    expect(sampled).toBeGreaterThan(3_800);
    expect(sampled).toBeLessThan(4_200);
    expect(profiles.reduce((n, x) => n + x.p.ack.count, 0)).toBe(acked);
    expect(profiles.find((x) => x.shardletId === "s2")?.p.ack.count).toBe(acked / 2);
    expect(profiler.errors).toBe(0);
  });

  it("samples every event at rate 1 and none at rate 0", async () => {
    for (const [rate, expected] of [
      [1, 500],
      [0, 0],
    ] as const) {
      const profiler = new EdgeProfiler({ settings: () => parseProfilerSettings({ sampleRate: rate }) });
      profiler.recordWrites(written, batch(500, 0), Array.from({ length: 500 }, () => ({ shardletId: "s1", duplicate: false })), 3);
      const drained = await profiler.drain();
      expect(drained.reduce((n, d) => n + ShardletProfile.fromData(d.profile).sampled, 0)).toBe(expected);
    }
  });
});
