import { describe, expect, it } from "vitest";
import { compileFields, mergeProfileData, ShardletProfile, summarizeProfile, topValueShares } from "../src/index.ts";

const fields = compileFields(["price", "tier"]);

describe("a field's top values", () => {
  it("gives values that are nearly all distinct tiny shares, not the sketch's error bound", () => {
    const a = new ShardletProfile();
    const b = new ShardletProfile();
    for (let i = 0; i < 2_500; i++) {
      // Prices with two decimals, all different; tier is "gold" on 30% of events.
      const payload = { price: Math.round((10 + i * 0.37) * 100) / 100, tier: i % 10 < 3 ? "gold" : `t${i}` };
      (i % 2 === 0 ? a : b).observe(`k${i}`, payload, 100, (i % 97) / 97, fields);
    }
    const s = summarizeProfile(mergeProfileData([a.toData(), b.toData()]));
    const price = s.fields.find((f) => f.path === "price")!;
    // Each price occurs once: no share may claim more than a handful of the 2,500.
    expect(price.topShare).toBeLessThanOrEqual(2 / 2_500);
    expect(price.topValues.every((v) => v.share <= 2 / 2_500)).toBe(true);
    const tier = s.fields.find((f) => f.path === "tier")!;
    expect(tier.topValues[0]!.value).toBe("gold");
    // A true heavy hitter keeps its share, within the sketch's error below it.
    expect(tier.topShare).toBeGreaterThan(0.2);
    expect(tier.topShare).toBeLessThanOrEqual(0.3);
  });

  it("orders by the share known, then numbers by value rather than as text", () => {
    const got = topValueShares(
      [
        { item: "16.82", count: 3, error: 2 },
        { item: "147.61", count: 1, error: 0 },
        { item: "13.58", count: 1, error: 0 },
        { item: "9", count: 5, error: 1 },
        { item: "gone", count: 4, error: 4 },
      ],
      10,
    );
    expect(got).toEqual([
      { value: "9", share: 0.4 },
      { value: "13.58", share: 0.1 },
      { value: "16.82", share: 0.1 },
      { value: "147.61", share: 0.1 },
    ]);
  });
});
