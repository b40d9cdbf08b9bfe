import { describe, expect, it } from "vitest";
import { noFrequentValues, sortTopValues } from "../src/app/(console)/streams/[name]/profile/top-values.ts";

const field = (o: { distinct: number; topShare: number }) => ({ seen: 2_600, missingRate: 0.02, nullRate: 0.02, ...o });

describe("a field's top values on the profile page", () => {
  it("sorts bars by share, then numbers by value rather than as text", () => {
    const shares = ["13.58", "14.32", "147.61", "16.82"].map((value) => ({ value, share: 0.001 }));
    expect(sortTopValues([...shares, { value: "99", share: 0.2 }]).map((v) => v.value)).toEqual(["99", "13.58", "14.32", "16.82", "147.61"]);
  });

  it("has no frequent values to chart when nearly every value is distinct or none takes 1%", () => {
    // The demo's prices: 2,224 distinct in about 2,500 present.
    expect(noFrequentValues(field({ distinct: 2_224, topShare: 0.0004 }))).toBe("nearly-distinct");
    expect(noFrequentValues(field({ distinct: 400, topShare: 0.004 }))).toBe("spread");
    expect(noFrequentValues(field({ distinct: 5, topShare: 0.4 }))).toBeNull();
    // Mostly distinct but one value is common: the chart shows it.
    expect(noFrequentValues(field({ distinct: 2_224, topShare: 0.12 }))).toBeNull();
    expect(noFrequentValues({ seen: 0, missingRate: 0, nullRate: 0, distinct: 0, topShare: 0 })).toBeNull();
  });
});
