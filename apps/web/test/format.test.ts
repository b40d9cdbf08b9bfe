import { describe, expect, it } from "vitest";
import { formatKeySpacePct, lagText, plural } from "../src/lib/format.ts";

describe("formatKeySpacePct", () => {
  it("shows a sliver of the key space as under a hundredth of a percent, not as nothing", () => {
    // A 4,096-hash range (a hot key split off): 0.0001% of the 32-bit space.
    expect(formatKeySpacePct((4096 / 2 ** 32) * 100)).toBe("<0.01%");
    expect(formatKeySpacePct(0.005)).toBe("0.01%");
    expect(formatKeySpacePct(12.5)).toBe("12.50%");
    expect(formatKeySpacePct(0)).toBe("0.00%");
  });
});

describe("plural", () => {
  it("names one thing in the singular and any other count in the plural", () => {
    expect(plural(1, "candidate")).toBe("1 candidate");
    expect(plural(0, "candidate")).toBe("0 candidates");
    expect(plural(1200, "entry", "entries")).toBe("1,200 entries");
    expect(lagText(1, null)).toBe("1 event");
    expect(lagText(0, 0)).toBe("0 events");
  });
});
