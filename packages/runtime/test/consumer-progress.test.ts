import { randomUUID } from "node:crypto";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { freshCursor } from "@shardcast/core";
import { ConsumerProgress } from "../src/consumer-progress.ts";
import { createRedis } from "../src/redis.ts";
import { testRedisUrl } from "../src/testing/env.ts";

const redis = createRedis(testRedisUrl());
const prefix = `t-${randomUUID()}`;
const progress = new ConsumerProgress(redis, prefix);
afterAll(() => redis.quit());
afterEach(async () => {
  const keys = await redis.keys(`${prefix}:*`);
  if (keys.length) await redis.del(...keys);
});

const at = (after: number) => freshCursor(0, 100, after);
/** A commit of `after` by the holder at `generation`, over what Redis holds now. */
async function commit(group: string, shardletId: string, generation: number | undefined, after: number) {
  const raw = await progress.readRaw(group, [shardletId]);
  return progress.setCursors(group, [{ shardletId, expected: raw.get(shardletId) ?? null, next: at(after), processed: 1, generation }]);
}

describe("ConsumerProgress fences", () => {
  it("refuses a commit of an earlier holder once the next holder has read the cursor", async () => {
    expect(await commit("g", "s", 3, 10)).toBe("written");
    // The holder at generation 5 reads first; the holder at 3 commits after.
    expect(await progress.readHeld("g", [{ shardletId: "s", generation: 5 }])).toEqual(new Map([["s", at(10)]]));
    expect(await commit("g", "s", 3, 40)).toEqual({ fenced: ["s"] });
    expect(await progress.read("g", ["s"])).toEqual(new Map([["s", at(10)]]));
    expect(await progress.eventsSinceCheckpoint("g", ["s"])).toEqual(new Map([["s", 1]]));
    // The holder at 5 commits; a read at an older generation does not bring the fence down.
    expect(await commit("g", "s", 5, 20)).toBe("written");
    await progress.readHeld("g", [{ shardletId: "s", generation: 3 }]);
    expect(await commit("g", "s", 3, 40)).toEqual({ fenced: ["s"] });
    // Writes without a generation are not fenced; a changed cursor is told apart from a fence.
    expect(await commit("g", "s", undefined, 30)).toBe("written");
    expect(await progress.setCursors("g", [{ shardletId: "s", expected: null, next: at(50), processed: 0, generation: 5 }])).toBe("changed");
  });

  it("refuses every commit of a forgotten shardlet, and a holder's read fences nothing there", async () => {
    await progress.readHeld("g", [{ shardletId: "p", generation: 2 }]);
    expect(await commit("g", "p", 2, 10)).toBe("written");
    await progress.forget("g", ["p"]);
    expect(await commit("g", "p", 2, 20)).toEqual({ fenced: ["p"] });
    expect(await progress.readHeld("g", [{ shardletId: "p", generation: 9 }])).toEqual(new Map());
    expect(await commit("g", "p", 9, 20)).toEqual({ fenced: ["p"] });
    // Nothing of the retired shardlet is left but its mark, which expires.
    const left = await redis.keys(`${prefix}:*`);
    expect(left).toEqual([`${prefix}:cg:{g}:retired:p`]);
    expect(await redis.pttl(left[0]!)).toBeGreaterThan(0);
  });

  it("seals a shardlet: its last cursor is read, later commits are refused, and sealing again reads the same", async () => {
    await progress.readHeld("g", [{ shardletId: "p", generation: 2 }]);
    expect(await commit("g", "p", 2, 10)).toBe("written");
    expect(await progress.seal("g", ["p", "q"])).toEqual(new Map([["p", at(10)]]));
    expect(await commit("g", "p", 2, 20)).toEqual({ fenced: ["p"] });
    expect(await commit("g", "q", 1, 20)).toEqual({ fenced: ["q"] });
    expect(await progress.seal("g", ["p"])).toEqual(new Map([["p", at(10)]]));
    expect(await redis.pttl(`${prefix}:cg:{g}:retired:q`)).toBeGreaterThan(0);
  });

  it("a poll's one script records its figures, writes its commits all or none, and reads its held shardlets only once they are written", async () => {
    const held = [
      { shardletId: "s", generation: 4 },
      { shardletId: "t", generation: 4 },
    ];
    const write = (expected: string | null, after: number, generation = 4) => [{ shardletId: "s", expected, next: at(after), processed: 2, generation }];
    // Nothing in Redis: the commit is written, the held read raises both fences and finds the cursor just written.
    const first = await progress.poll("g", { writes: write(null, 10), held, stats: { events: 100, processingMs: 50 } });
    expect(first).toEqual({ outcome: "written", held: new Map([["s", at(10)]]) });
    expect(await progress.fences("g", ["s", "t"])).toEqual(new Map([["s", 4], ["t", 4]]));
    expect((await progress.stats("g")).msPerEvent).toBeCloseTo(0.5);
    // A stale expectation: nothing stored, neither the cursor nor the figures nor a fence.
    const changed = await progress.poll("g", { writes: write(null, 20), held: [{ shardletId: "u", generation: 4 }], stats: { events: 1000, processingMs: 1000 } });
    expect(changed).toEqual({ outcome: "changed", held: new Map() });
    expect(await progress.read("g", ["s"])).toEqual(new Map([["s", at(10)]]));
    expect(await progress.fences("g", ["u"])).toEqual(new Map());
    expect((await progress.stats("g")).msPerEvent).toBeCloseTo(0.5);
    // Without commits the figures are recorded with the held read.
    await progress.poll("g", { held: [], stats: { events: 1000, processingMs: 1000 } });
    expect((await progress.stats("g")).msPerEvent).toBeCloseTo(1);
    // An earlier holder's commit is fenced: no cursor moves, no fence rises.
    const raw = (await progress.readRaw("g", ["s"])).get("s")!;
    expect(await progress.poll("g", { writes: write(raw, 30, 3), held: [{ shardletId: "u", generation: 3 }], stats: { events: 1000, processingMs: 5000 } })).toEqual({
      outcome: { fenced: ["s"] },
      held: new Map(),
    });
    expect(await progress.fences("g", ["u"])).toEqual(new Map());
    expect((await progress.stats("g")).msPerEvent).toBeCloseTo(1);
    expect(await progress.eventsSinceCheckpoint("g", ["s"])).toEqual(new Map([["s", 2]]));
  });

  it("puts back snapshot requests a failed poll took, where no newer one was queued meanwhile", async () => {
    const req = (shardletId: string, position: number) => ({ shardletId, position, reason: "checkpoint" });
    await progress.requestSnapshots("g", "m", [req("s", 10), req("t", 20)]);
    const taken = await progress.takeSnapshots("g", "m");
    expect(taken.sort((a, b) => a.position - b.position)).toEqual([req("s", 10), req("t", 20)]);
    expect(await progress.takeSnapshots("g", "m")).toEqual([]);
    await progress.requestSnapshots("g", "m", [req("t", 30)]);
    await progress.returnSnapshots("g", "m", taken);
    expect((await progress.takeSnapshots("g", "m")).sort((a, b) => a.position - b.position)).toEqual([req("s", 10), req("t", 30)]);
    await progress.returnSnapshots("g", "m", [req("s", 10)]);
    expect(await redis.pttl(`${prefix}:cg:{g}:snap:m`)).toBeGreaterThan(0);
  });
});
