import { describe, expect, it } from "vitest";
import { formatUrgency } from "../src/app/(console)/heatmap/urgency.ts";

describe("formatUrgency", () => {
  it("counts down in the console's duration wording", () => {
    expect(formatUrgency(null)).toBe("—");
    expect(formatUrgency(0.4)).toBe("now");
    expect(formatUrgency(45)).toBe("in 45 s");
    expect(formatUrgency(185)).toBe("in 3 min 5 s");
    expect(formatUrgency(9_000)).toBe("in 2 h 30 min");
  });
});
