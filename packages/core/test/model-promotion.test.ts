import { describe, expect, it } from "vitest";
import { beatsPromotionBar, checkModelScores, promotionBar, ShardcastError } from "../src/index.ts";

const active = { id: "v1", kind: "lstm", version: 3, mase: 0.8 };

describe("model promotion bar", () => {
  it("is seasonal naive's MASE while no version serves", () => {
    expect(promotionBar(null, { activeId: null, activeMase: null, baselineMase: 1.2 })).toEqual({ bar: 1.2, against: "seasonal naive" });
    // While no version serves, the default selection does: a candidate must beat it, not only seasonal naive.
    expect(promotionBar(null, { activeId: null, activeMase: null, baselineMase: 1.2, defaultMase: 0.9 })).toEqual({ bar: 0.9, against: "the default selection on the same window" });
    expect(promotionBar(null, { activeId: null, activeMase: null, baselineMase: 1.2, defaultMase: Number.NaN })).toEqual({ bar: 1.2, against: "seasonal naive" });
  });

  it("is the active version re-scored on the candidate's window when it was", () => {
    expect(promotionBar(active, { activeId: "v1", activeMase: 0.7, baselineMase: 1.2 })).toEqual({ bar: 0.7, against: "lstm v3 on the same window" });
  });

  it("falls back to the active version's stored figure when it was not re-scored or changed meanwhile", () => {
    expect(promotionBar(active, { activeId: "v1", activeMase: null, baselineMase: 1.2 })).toEqual({ bar: 0.8, against: "lstm v3" });
    expect(promotionBar(active, { activeId: "v1", activeMase: Number.NaN, baselineMase: 1.2 })).toEqual({ bar: 0.8, against: "lstm v3" });
    expect(promotionBar(active, { activeId: "v0", activeMase: 0.5, baselineMase: 1.2 })).toEqual({ bar: 0.8, against: "lstm v3" });
    expect(promotionBar({ ...active, mase: null }, { activeId: null, activeMase: null, baselineMase: 1.2 }).bar).toBe(Infinity);
  });

  it("must be beaten, not tied: the same figure after a float round trip does not promote", () => {
    expect(beatsPromotionBar(0.69, 0.7)).toBe(true);
    expect(beatsPromotionBar(0.7, 0.7)).toBe(false);
    expect(beatsPromotionBar(0.7 * (1 - 1e-12), 0.7)).toBe(false);
    expect(beatsPromotionBar(0.71, 0.7)).toBe(false);
    expect(beatsPromotionBar(5, Infinity)).toBe(true);
  });
});

describe("model scores", () => {
  it("accepts finite non-negative figures and names the first bad one", () => {
    expect(() => checkModelScores({ mae: 0, rmse: 1.5, mase: 0.9 })).not.toThrow();
    expect(() => checkModelScores({ mae: 1, rmse: Number.NaN, mase: 0.9 })).toThrow(/model rmse must be a finite non-negative number, got NaN/);
    expect(() => checkModelScores({ mae: -1, rmse: 1, mase: 1 })).toThrow(ShardcastError);
  });
});
