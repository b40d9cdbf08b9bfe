import { describe, expect, it } from "vitest";
import { makePolicy } from "../src/compare.ts";
import { simulate } from "../src/engine/simulation.ts";
import type { PredictivePolicy } from "../src/policies/predictive.ts";
import { small } from "./fixtures.ts";

describe("the hybrid policy", () => {
  it("plans capacity through the skill gate, and says which side of it the forecast is on", () => {
    const { workload, config } = small({ workload: "diurnal", days: 4, warmupDays: 2, cluster: { moveModel: "handoff" } });
    const policy = makePolicy("hybrid", config) as PredictivePolicy;
    expect(policy.name).toBe("hybrid");
    expect(policy.elastic?.mode).toBe("hybrid");
    const run = simulate({ workload, config, policy });
    expect(run.metrics.hostHours).toBeGreaterThan(0);
    const notes = policy.elastic!.last!.notes.join(" ");
    expect(notes).toMatch(/over the last \d+ steps the forecast missed by .* holding the last observed load by/);
  });
});
