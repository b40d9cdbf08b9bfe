import { describe, expect, it } from "vitest";
import { parseProfilerSettings } from "@shardcast/core";
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
