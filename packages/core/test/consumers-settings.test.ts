import { describe, expect, it } from "vitest";
import { CONSUMER_SETTINGS_KEY, consumerSettingsSchema, parseConsumerSettings } from "../src/index.ts";

describe("consumer settings", () => {
  it("fills defaults for a missing or partial stored value", () => {
    expect(CONSUMER_SETTINGS_KEY).toBe("consumers");
    expect(parseConsumerSettings(undefined)).toEqual({
      checkpointMode: "predictive",
      checkpointThresholdSec: 30,
      predictionHorizonSec: 5,
      maxReplaySec: 120,
      fixedIntervalSec: 30,
      defaultReplayMsPerEvent: 1,
      sessionTimeoutMs: 15_000,
      handoffTimeoutMs: 3_000,
      memberWeighting: "throughput",
    });
    expect(parseConsumerSettings({ checkpointMode: "fixed", fixedIntervalSec: 10 })).toMatchObject({ checkpointMode: "fixed", fixedIntervalSec: 10, maxReplaySec: 120 });
  });

  it("refuses out-of-range values with readable messages", () => {
    const cases: Array<[Record<string, unknown>, RegExp]> = [
      [{ checkpointThresholdSec: 0.01 }, /checkpoint threshold must be at least 0.1 s/],
      [{ predictionHorizonSec: 0 }, /prediction horizon must be at least 1 s/],
      [{ fixedIntervalSec: 100_000 }, /fixed interval must be at most 86400 s/],
      [{ defaultReplayMsPerEvent: 0 }, /default replay time must be at least 0.001 ms/],
      [{ sessionTimeoutMs: 1000 }, /session timeout must be at least 3000 ms/],
      [{ handoffTimeoutMs: 70_000 }, /hand-off timeout must be at most 60000 ms/],
      [{ checkpointThresholdSec: 60, maxReplaySec: 30 }, /maximum replay must be at least the checkpoint threshold/],
    ];
    for (const [value, message] of cases) {
      const r = consumerSettingsSchema.safeParse(value);
      expect(r.success).toBe(false);
      expect(r.error?.issues.map((i) => i.message).join("; ")).toMatch(message);
    }
    expect(() => parseConsumerSettings({ checkpointMode: "sometimes" })).toThrow();
    expect(() => parseConsumerSettings({ memberWeighting: "fastest" })).toThrow();
  });
});
