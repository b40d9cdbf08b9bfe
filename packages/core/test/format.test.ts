import { describe, expect, it } from "vitest";
import { formatBytes, formatDuration } from "../src/format.ts";

describe("formatBytes", () => {
  it("names binary units as such", () => {
    expect(formatBytes(512)).toBe("512 B");
    expect(formatBytes(64 * 1024)).toBe("64 KiB");
    expect(formatBytes(11.46 * 1024)).toBe("11.5 KiB");
    expect(formatBytes(1.5 * 1024 ** 2)).toBe("1.5 MiB");
    expect(formatBytes(1024 ** 3)).toBe("1 GiB");
    expect(formatBytes(-1)).toBe("0 B");
  });
});

describe("formatDuration", () => {
  it("uses at most two units and never reads longer than the duration", () => {
    expect(formatDuration(0)).toBe("0 s");
    expect(formatDuration(850)).toBe("850 ms");
    expect(formatDuration(999.6)).toBe("1 s");
    expect(formatDuration(4200)).toBe("4.2 s");
    expect(formatDuration(9_960)).toBe("10 s");
    expect(formatDuration(45_000)).toBe("45 s");
    expect(formatDuration(192_000)).toBe("3 min 12 s");
    expect(formatDuration(600_000)).toBe("10 min");
    expect(formatDuration(7_830_000)).toBe("2 h 10 min");
    expect(formatDuration(3 * 3_600_000 + 59 * 60_000 + 59_000)).toBe("3 h 59 min");
    expect(formatDuration(52 * 3_600_000)).toBe("2 d 4 h");
    expect(formatDuration(Infinity)).toBe("unknown");
    expect(formatDuration(-1)).toBe("unknown");
  });
});
