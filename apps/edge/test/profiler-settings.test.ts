import { describe, expect, it } from "vitest";
import { ProfilerSettingsCache } from "../src/telemetry/profiler.ts";

describe("the profiler's settings cache", () => {
  it("a refresh after a change reads the change, even while an older load is under way", async () => {
    let stored: unknown = { sampleRate: 0.05 };
    const gates: Array<() => void> = [];
    // Each load reads the stored settings when it starts, and answers when the test lets it.
    const load = () => {
      const seen = stored;
      return new Promise<unknown>((resolve) => gates.push(() => resolve(seen)));
    };
    const cache = new ProfilerSettingsCache(load, (err) => {
      throw err;
    });
    const startup = cache.refresh();
    stored = { sampleRate: 1 };
    const afterChange = cache.refresh();
    const alsoAfterChange = cache.refresh();
    gates.shift()!();
    await startup;
    expect(cache.get().sampleRate).toBe(0.05);
    // The follow-up load starts once the first is over; both later callers share it.
    for (let turn = 0; turn < 10 && gates.length === 0; turn++) await new Promise((r) => setImmediate(r));
    expect(gates).toHaveLength(1);
    gates.shift()!();
    await Promise.all([afterChange, alsoAfterChange]);
    expect(cache.get().sampleRate).toBe(1);
  });
});
