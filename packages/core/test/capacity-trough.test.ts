import { describe, expect, it } from "vitest";
import { canWaitForTrough, nextTrough, parseCapacitySettings } from "../src/index.ts";

const STEP = 10_000;
const settings = parseCapacitySettings({ copyBytesPerSec: 1024 * 1024, movesPerHost: 4, moveSetupSec: 5, marginSec: 10 });

describe("nextTrough", () => {
  it("finds the first run of steps in the lowest quarter of the forecast's range", () => {
    // Peak now, trough at steps 4-6 (values 100-150 within 100 + 0.25 * 900 = 325), ramp after.
    const values = [1000, 800, 600, 400, 100, 150, 300, 700, 1000];
    expect(nextTrough({ startMs: 0, stepMs: STEP, values })).toEqual({ startMs: 4 * STEP, endMs: 7 * STEP });
  });

  it("has no trough on a flat or empty forecast", () => {
    expect(nextTrough({ startMs: 0, stepMs: STEP, values: [500, 520, 490, 510] })).toBeNull();
    expect(nextTrough({ startMs: 0, stepMs: STEP, values: [] })).toBeNull();
    expect(nextTrough({ startMs: 0, stepMs: STEP, values: [0, 0, 0] })).toBeNull();
  });
});

describe("canWaitForTrough", () => {
  const trough = { startMs: 60_000, endMs: 120_000 };

  it("lets a balance move (no predicted overload) wait for a trough ahead, and never for one already open", () => {
    expect(canWaitForTrough({ urgencySec: null, bytesToMove: 1 }, trough, 0, settings)).toBe(true);
    expect(canWaitForTrough({ urgencySec: null, bytesToMove: 1 }, trough, 60_000, settings)).toBe(false);
  });

  it("waits only when the copy, started in the trough at one move's speed, ends before the overload", () => {
    // 10 MiB at 1 MiB/s (one move alone, whatever the host's parallel moves) + 5 s setup + 10 s margin:
    // done 25 s after the trough opens at 60 s, i.e. at 85 s.
    const bytes = 10 * 1024 * 1024;
    expect(canWaitForTrough({ urgencySec: 86, bytesToMove: bytes }, trough, 0, settings)).toBe(true);
    expect(canWaitForTrough({ urgencySec: 84, bytesToMove: bytes }, trough, 0, settings)).toBe(false);
  });
});
