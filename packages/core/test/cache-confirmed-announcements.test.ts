import { describe, expect, it } from "vitest";
import { ConfirmedAnnouncements, correlatedTrace, simulatePredictive } from "../src/index.ts";

const STEP = 10_000;
const members = (ids: string[], p = 0.7, target: string | null = "c1") => ids.map((shardletId) => ({ shardletId, p, target }));

describe("ConfirmedAnnouncements", () => {
  it("confirms an announcement at the first read by its predicted reader, in time, and names the rest", () => {
    const c = new ConfirmedAnnouncements({ halfLifeMs: 100 * STEP });
    c.announce("order", members(["a", "b", "c"]), { from: 0.5 * STEP, until: 2 * STEP }, 0);
    // Too early to be the announced read.
    expect(c.read("a", "c1", 0.4 * STEP)).toEqual([]);
    // Another reader, or a shardlet not announced, confirms nothing.
    expect(c.read("a", "c2", STEP)).toEqual([]);
    expect(c.read("z", "c1", STEP)).toEqual([]);
    const out = c.read("b", "c1", 1.5 * STEP);
    // `a` was read already (by anyone: it is likely cached), so only `c` is left to fetch.
    expect(out).toEqual([{ type: "order", announcedAt: 0, shardletId: "c", target: "c1", p: 0.7, until: 2 * STEP }]);
    // Only the first read confirms.
    expect(c.read("c", "c1", 1.6 * STEP)).toEqual([]);
    // An announcement of one shardlet has nothing to confirm it.
    c.announce("refund", members(["r"]), { from: 0, until: 2 * STEP }, 0);
    expect(c.waiting).toBe(1);
    // Past its time an announcement confirms nothing.
    c.announce("invoice", members(["x", "y"]), { from: 0, until: 2 * STEP }, 0);
    expect(c.read("x", "c1", 2 * STEP + 1)).toEqual([]);
  });

  it("learns that a type's shardlets are read together, or apart, and waits only for the former", () => {
    const together = new ConfirmedAnnouncements({ halfLifeMs: 100 * STEP });
    const apart = new ConfirmedAnnouncements({ halfLifeMs: 100 * STEP });
    // Before any outcome both wait: an announcement whose reads never come then costs nothing.
    expect(together.waits("order", 0.7, 3, 0.5, 0)).toBe(true);
    expect(together.waits("order", 0.7, 1, 0.5, 0)).toBe(false);
    let now = 0;
    for (let i = 0; i < 10; i++) {
      together.announce("order", members(["a", "b", "c"]), { from: now, until: now + 2 * STEP }, now);
      apart.announce("order", members(["a", "b", "c"]), { from: now, until: now + 2 * STEP }, now);
      for (const id of ["a", "b", "c"]) together.read(id, "c1", now + STEP);
      // Two of three each time: once one is read, another is read one time in two.
      apart.read(["a", "b", "c"][i % 3]!, "c1", now + STEP);
      apart.read(["a", "b", "c"][(i + 1) % 3]!, "c1", now + STEP);
      now += 3 * STEP;
      together.expire(now);
      apart.expire(now);
    }
    expect(together.precision("order", "b", 0.7, now)).toBeGreaterThan(0.95);
    expect(together.waits("order", 0.7, 3, 0.5, now)).toBe(true);
    expect(apart.precision("order", "b", 0.7, now)).toBeLessThan(0.65);
    expect(apart.waits("order", 0.7, 3, 0.5, now)).toBe(false);
  });
});

describe("waiting for the first read in the cache simulation", () => {
  it("wastes fewer prefetched bytes where an announcement's reads come together, for about the same hits", () => {
    const trace = correlatedTrace({ seed: 21, steps: 720 });
    const budget = 0.1 * trace.workingSetBytes;
    const opts = { stepMs: trace.stepMs, bandwidthBytesPerStep: budget / 4, threshold: 0.5 };
    const waiting = simulatePredictive(trace.events, budget, opts);
    const eager = simulatePredictive(trace.events, budget, { ...opts, confirm: false });
    const share = (r: typeof waiting) => r.prefetchedWastedBytes / r.prefetchedBytes;
    expect(waiting.prefetchedBytes).toBeGreaterThan(0);
    expect(share(waiting)).toBeLessThan(0.8 * share(eager));
    expect(waiting.hitRatio).toBeGreaterThan(0.98 * eager.hitRatio);
  });
});
