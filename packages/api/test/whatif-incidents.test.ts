import { describe, expect, it } from "vitest";
import { compare, runOf, scenario } from "@shardcast/sim";
import { incidentRows, WHATIF_INCIDENTS } from "../src/services/whatif-incidents.ts";

describe("what-if incidents", () => {
  it("lists each policy's largest incidents on the what-if's time axis, with the plan only where there is one", () => {
    // A small drifting workload on which reactive at the product defaults, moving by copy, runs hosts past capacity.
    const { workload, config } = scenario({
      workload: "zipf-drift",
      seed: 7,
      days: 6,
      warmupDays: 2,
      cluster: { hosts: 4, shardsPerStream: 4, shardletsPerShard: 4, tickMinutes: 10, eventBytes: 256, migrationBytesPerSec: 20 * 1024 * 1024, moveModel: "copy" },
      params: { streams: 2, keysPerStream: 256 },
    });
    const c = compare(workload, config, { policies: ["static", "reactive", "predictive"] });
    const origin = Date.UTC(2026, 0, 5);
    const rows = incidentRows(c, origin);
    const reactive = runOf(c, "reactive");
    const own = rows.filter((r) => r.policy === "reactive");
    expect(own.length).toBeGreaterThan(0);
    expect(own.length).toBeLessThanOrEqual(WHATIF_INCIDENTS);
    const measuredFrom = origin + reactive.measuredFromTick * reactive.tickMs;
    for (const [i, x] of own.entries()) {
      expect(x.from).toBeGreaterThanOrEqual(measuredFrom);
      expect((x.from - origin) % reactive.tickMs).toBe(0);
      expect(x.to).toBeGreaterThan(x.from);
      if (i > 0) expect(x.from).toBeGreaterThan(own[i - 1]!.to - 1); // time order, no overlap
      // A tick's utilisation is its mean: a host past capacity for part of the tick can average under 1.
      expect(x.hottestUtil).toBeGreaterThan(0.5);
      expect(x.hottestUtil).toBeGreaterThanOrEqual(x.meanUtilThen);
      expect(x.violationMinutes).toBeGreaterThan(0);
      expect(x.violationMinutes).toBeLessThanOrEqual((x.to - x.from) / 60_000 + 1e-6);
      expect(x.plannedAtStart).not.toBeNull(); // reactive sizes the cluster with the capacity planner
    }
    const total = own.reduce((a, x) => a + x.violationMinutes, 0);
    if (own.length < WHATIF_INCIDENTS) expect(total).toBeCloseTo(reactive.metrics.violationMinutes, 3);
    else expect(total).toBeLessThanOrEqual(reactive.metrics.violationMinutes + 1e-6);
    // The static layout has no capacity plan.
    for (const x of rows.filter((r) => r.policy === "static")) expect(x.plannedAtStart).toBeNull();
  });
});
