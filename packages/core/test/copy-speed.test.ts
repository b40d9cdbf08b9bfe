import { describe, expect, it } from "vitest";
import { copySpeedNote, plannedCopySpeed } from "../src/index.ts";

const MIB = 1024 * 1024;

describe("the copy speed plans assume", () => {
  it("is the budget until migrations measured a slower one", () => {
    expect(plannedCopySpeed(20 * MIB, null)).toEqual({ bytesPerSec: 20 * MIB });
    // Faster than the budget: the budget bounds what a copy may take of a host.
    expect(plannedCopySpeed(20 * MIB, { bytesPerSec: 50 * MIB, migrations: 5 })).toEqual({ bytesPerSec: 20 * MIB });
    const slow = plannedCopySpeed(20 * MIB, { bytesPerSec: 2 * MIB, migrations: 5 });
    expect(slow.bytesPerSec).toBe(2 * MIB);
    expect(copySpeedNote(slow, 20 * MIB)).toBe("copies planned at 2 MiB/s, the median of the last 5 migrations, below the copy budget of 20 MiB/s");
    expect(copySpeedNote(plannedCopySpeed(20 * MIB, null), 20 * MIB)).toBeNull();
  });

  it("ignores a measurement of nothing", () => {
    expect(plannedCopySpeed(20 * MIB, { bytesPerSec: 0, migrations: 3 })).toEqual({ bytesPerSec: 20 * MIB });
    expect(plannedCopySpeed(20 * MIB, { bytesPerSec: Number.NaN, migrations: 3 })).toEqual({ bytesPerSec: 20 * MIB });
  });
});
