import { describe, expect, it } from "vitest";
import { createRng, isShardcastError, PLACEMENT_ARMS, PlacementBandit, type PlacementArm } from "../src/index.ts";

const MEANS: Record<PlacementArm, number> = { replicate: 0.45, "cache-pin": 0.7, move: 0.5, archive: 0.1, leave: 0.55 };

function play(b: PlacementBandit, context: string, rounds: number, seed: number, means = MEANS): Record<PlacementArm, number> {
  const rng = createRng(seed);
  const chosen = Object.fromEntries(PLACEMENT_ARMS.map((a) => [a, 0])) as Record<PlacementArm, number>;
  for (let i = 0; i < rounds; i++) {
    const arm = b.choose(context);
    chosen[arm]++;
    b.reward(context, arm, rng.chance(means[arm]) ? 1 : 0);
  }
  return chosen;
}

describe("PlacementBandit", () => {
  it("tries every arm once, in order, then converges to the best arm on a stationary reward", () => {
    const b = new PlacementBandit();
    const first: PlacementArm[] = [];
    for (const arm of PLACEMENT_ARMS) {
      first.push(b.choose("s-1"));
      b.reward("s-1", arm, 0.5);
    }
    expect(first).toEqual([...PLACEMENT_ARMS]);
    const fresh = new PlacementBandit();
    const chosen = play(fresh, "s-1", 5_000, 1);
    expect(chosen["cache-pin"] / 5_000).toBeGreaterThan(0.8);
    // Regret grows like log n: the worst arm is tried only a handful of times.
    expect(chosen.archive).toBeLessThan(60);
    const v = fresh.values("s-1");
    expect(v["cache-pin"].mean).toBeCloseTo(0.7, 1);
    expect(v["cache-pin"].pulls).toBe(chosen["cache-pin"]);
    for (const arm of PLACEMENT_ARMS) expect(v[arm].ucb!).toBeGreaterThanOrEqual(v[arm].mean);
  });

  it("learns each context on its own and sums them when asked for all", () => {
    const b = new PlacementBandit();
    play(b, "hot", 2_000, 2);
    play(b, "cold", 2_000, 3, { replicate: 0.1, "cache-pin": 0.1, move: 0.2, archive: 0.8, leave: 0.3 });
    expect(b.choose("hot")).toBe("cache-pin");
    expect(b.choose("cold")).toBe("archive");
    expect(b.contexts()).toEqual(["cold", "hot"]);
    const all = b.values();
    const hot = b.values("hot");
    const cold = b.values("cold");
    for (const arm of PLACEMENT_ARMS) expect(all[arm].pulls).toBe(hot[arm].pulls + cold[arm].pulls);
    expect(b.values("unknown").leave).toEqual({ pulls: 0, mean: 0, ucb: null });
  });

  it("is deterministic: same history, same choices", () => {
    const a = new PlacementBandit();
    const b = new PlacementBandit();
    expect(play(a, "x", 500, 9)).toEqual(play(b, "x", 500, 9));
    // Equal bounds go to the earlier arm.
    const tie = new PlacementBandit();
    for (const arm of PLACEMENT_ARMS) tie.reward("t", arm, 1);
    expect(tie.choose("t")).toBe("replicate");
  });

  it("clamps rewards to [0, 1] and refuses what is not a number", () => {
    const b = new PlacementBandit();
    b.reward("x", "move", 5);
    b.reward("x", "move", -3);
    expect(b.values("x").move.mean).toBe(0.5);
    expect(() => b.reward("x", "move", Number.NaN)).toThrow();
  });

  it("forgets the least pulled context beyond its capacity", () => {
    const b = new PlacementBandit({ maxContexts: 2 });
    b.reward("a", "leave", 1);
    b.reward("a", "leave", 1);
    b.reward("b", "leave", 1);
    b.reward("c", "leave", 1);
    expect(b.contexts()).toEqual(["a", "c"]);
  });

  it("round-trips through JSON and rejects anything else", () => {
    const a = new PlacementBandit({ exploration: 0.5 });
    play(a, "s-1", 300, 4);
    play(a, "s-2", 300, 5);
    const b = PlacementBandit.fromData(JSON.parse(JSON.stringify(a.toData())));
    expect(b.exploration).toBe(0.5);
    expect(b.values("s-1")).toEqual(a.values("s-1"));
    expect(play(b, "s-2", 200, 6)).toEqual(play(a, "s-2", 200, 6));
    let code: string | null = null;
    try {
      PlacementBandit.fromData({ v: 1, contexts: "nope" });
    } catch (err) {
      code = isShardcastError(err) ? err.code : "other";
    }
    expect(code).toBe("bad_request");
  });
});
