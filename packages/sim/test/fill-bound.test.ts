import { describe, expect, it } from "vitest";
import { DEFAULT_CLUSTER } from "../src/cluster.ts";
import { compare, type PolicyName } from "../src/compare.ts";
import { fewestHostHours, fillBoundHostHours, leadTicksOf } from "../src/engine/fill-bound.ts";
import { hostHoursLowerBound } from "../src/engine/lower-bound.ts";
import { small } from "./fixtures.ts";

const bound = (need: number[], leadTicks: number, startHosts = need[0]!, measuredFromTick = 0) => fewestHostHours({ need, leadTicks, startHosts, measuredFromTick, tickHours: 1 });

describe("the fewest host-hours a new host's lead allows", () => {
  it("pays a step's extra hosts from their request, a lead before the step", () => {
    const b = bound([1, 1, 1, 3, 3, 3], 2);
    expect([...b.carrying]).toEqual([1, 1, 1, 3, 3, 3]);
    // Two hosts asked for at tick 1 to carry from tick 3: 12 host-ticks carrying, 4 on their way.
    expect([...b.paid]).toEqual([1, 3, 3, 3, 3, 3]);
    expect(b.hostHours).toBe(16);
    // With no lead it is the per-tick floor.
    expect(bound([1, 1, 1, 3, 3, 3], 0).hostHours).toBe(12);
  });

  it("keeps a host through a dip shorter than its lead and sheds it through a longer one", () => {
    // Shed at tick 2, the host back for tick 3 would be paid from tick 1: 11 against 10 kept.
    const short = bound([2, 2, 1, 2, 2], 2);
    expect([...short.paid]).toEqual([2, 2, 2, 2, 2]);
    expect(short.hostHours).toBe(10);
    // Four ticks at one host: shed, and asked for again at tick 3 for tick 5 (10 against 12).
    const long = bound([2, 1, 1, 1, 1, 2], 2);
    expect([...long.carrying]).toEqual([2, 1, 1, 1, 1, 2]);
    expect([...long.paid]).toEqual([2, 1, 1, 2, 2, 2]);
    expect(long.hostHours).toBe(10);
  });

  it("pays a one-tick spike for its whole lead: above the per-tick floor", () => {
    const need = [1, 1, 1, 1, 3, 1, 1, 1];
    const b = bound(need, 2);
    expect([...b.paid]).toEqual([1, 1, 3, 3, 3, 1, 1, 1]);
    expect(b.hostHours).toBe(14);
    expect(bound(need, 0).hostHours).toBe(10);
  });

  it("counts only measured ticks, a lead that starts in the warm-up included in part", () => {
    // The host carrying from tick 3 was asked for at tick 1; ticks 0-1 are not measured.
    const b = bound([1, 1, 1, 2, 2], 2, 1, 2);
    expect([...b.paid.subarray(2)]).toEqual([2, 2, 2]);
    expect(b.hostHours).toBe(6);
  });

  it("lets a rise before a lead has passed cost only its lead inside the run", () => {
    // Needed at tick 1 with a lead of 3: asked for before the run, so only tick 0 counts; the
    // bound errs low rather than call the load impossible.
    const b = bound([1, 2, 2], 3, 1);
    expect([...b.carrying.subarray(1)]).toEqual([2, 2]);
    expect([...b.paid]).toEqual([2, 2, 2]);
    expect(b.hostHours).toBe(6);
  });

  it("times the lead as the engine runs a request: provisioning in whole ticks, then one move", () => {
    const tickMs = 5 * 60_000;
    expect(leadTicksOf(DEFAULT_CLUSTER, tickMs)).toBe(2);
    expect(leadTicksOf({ ...DEFAULT_CLUSTER, provisionSec: 0 }, tickMs)).toBe(2);
    expect(leadTicksOf({ ...DEFAULT_CLUSTER, provisionSec: 301 }, tickMs)).toBe(3);
    expect(leadTicksOf({ ...DEFAULT_CLUSTER, provisionSec: 900, handoffSec: 600 }, tickMs)).toBe(5);
    expect(leadTicksOf({ ...DEFAULT_CLUSTER, moveModel: "copy", migrationSetupSec: 30 }, tickMs)).toBe(2);
  });

  it("is at or above the per-tick floor, and no policy without violation minutes pays less", () => {
    for (const moveModel of ["handoff"] as const) {
      const { workload, config } = small({ workload: "diurnal", days: 5, warmupDays: 2, cluster: { moveModel } });
      const b = fillBoundHostHours(workload, config);
      expect(b.hostHours).toBeGreaterThanOrEqual(hostHoursLowerBound(workload, config).hostHours - 1e-9);
      const policies: PolicyName[] = ["static_peak", "reactive_tuned"];
      const c = compare(workload, config, { policies });
      let free = 0;
      for (const run of c.runs) {
        if (run.metrics.violationMinutes > 0) continue;
        free++;
        expect(run.metrics.hostHours, `${moveModel} ${run.policy}`).toBeGreaterThanOrEqual(b.hostHours - 1e-9);
      }
      expect(free).toBeGreaterThan(0);
      expect(b.hostHours).toBeLessThan(c.runs.find((r) => r.policy === "static_peak")!.metrics.hostHours);
    }
  });
});
