import { describe, expect, it } from "vitest";
import { checkpointMetrics } from "../src/suites/consumers-checkpoint.ts";

describe("checkpointMetrics", () => {
  it("replays both trace sets over several windows and reports every policy at the same bound", async () => {
    const lines: string[] = [];
    const m = await checkpointMetrics({ quick: true, log: (l) => lines.push(l) });
    expect(lines.join("\n")).toMatch(/dos-traces/);
    for (const prefix of ["", "dos_", "nab_"]) {
      expect(m[`${prefix}windows`]).toBeGreaterThanOrEqual(3);
      for (const key of ["checkpoints_ratio_vs_fixed", "checkpoints_ratio_vs_reactive", "checkpoints_ratio_vs_oracle", "long_horizon_checkpoints_ratio_vs_fixed"]) {
        expect(Number.isFinite(m[`${prefix}${key}`])).toBe(true);
      }
      // Every policy is held to the 30 s p99 bound (medians over windows).
      for (const key of ["p99_replay_s_predictive", "p99_replay_s_long_horizon", "p99_replay_s_fixed", "p99_replay_s_reactive"]) {
        expect(m[`${prefix}${key}`]).toBeLessThanOrEqual(30 + 1e-9);
      }
    }
  });
});
