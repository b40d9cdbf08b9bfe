import { describe, expect, it } from "vitest";
import { formatKeySpacePct } from "../src/lib/format.ts";

describe("formatKeySpacePct", () => {
  it("shows a sliver of the key space as under a hundredth of a percent, not as nothing", () => {
    // A 4,096-hash range (a hot key split off): 0.0001% of the 32-bit space.
    expect(formatKeySpacePct((4096 / 2 ** 32) * 100)).toBe("<0.01%");
    expect(formatKeySpacePct(0.005)).toBe("0.01%");
    expect(formatKeySpacePct(12.5)).toBe("12.50%");
    expect(formatKeySpacePct(0)).toBe("0.00%");
  });
});
