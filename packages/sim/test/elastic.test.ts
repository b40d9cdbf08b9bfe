import { describe, expect, it } from "vitest";
import { compare, runOf } from "../src/compare.ts";
import type { PolicyRun } from "../src/engine/simulation.ts";
import { small } from "./fixtures.ts";

// One daily cycle, every stream peaking at the same hour, no weekly swing: the cluster load goes
// from about a quarter of its peak at night to the peak in the afternoon, every day alike.
const daily = () =>
  small({ workload: "diurnal", days: 7, warmupDays: 3, params: { dailyAmplitude: 0.6, weeklyAmplitude: 0, phaseSpread: 0 } });

/** Tick of the highest cluster load in each measured day. */
function dailyPeaks(r: PolicyRun, ticksPerDay: number): number[] {
  const out: number[] = [];
  for (let from = r.measuredFromTick; from + ticksPerDay <= r.ticks; from += ticksPerDay) {
    let best = from;
    for (let t = from; t < from + ticksPerDay; t++) if (r.clusterLoad[t]! > r.clusterLoad[best]!) best = t;
    out.push(best);
  }
  return out;
}

describe("the elastic cluster", () => {
  it("counts host-hours exactly: a fixed cluster of N hosts over T hours has N x T", () => {
    const { workload, config } = small({ workload: "flat", days: 4, warmupDays: 1 });
    const result = compare(workload, config, { policies: ["static"] });
    const m = runOf(result, "static").metrics;
    expect(m.measuredMinutes).toBeCloseTo(3 * 24 * 60, 6);
    expect(m.hostHours).toBeCloseTo(4 * 3 * 24, 6);
    expect(m.hostsMin).toBe(4);
    expect(m.hostsMax).toBe(4);
  });

  it("adds the predictive host before the daily peak and fills it before the peak; reactive asks once the load is there; drains happen in troughs", () => {
    const { workload, config } = daily();
    // Both at the product's thresholds, so what differs is only whether the plan reads a forecast.
    config.policy.predictiveCapacity = {};
    config.policy.predictiveTolerance = null;
    const result = compare(workload, config, { policies: ["reactive", "predictive"] });
    const predictive = runOf(result, "predictive");
    const reactive = runOf(result, "reactive");
    const tickMs = predictive.tickMs;
    const perDay = Math.round(86_400_000 / tickMs);
    const peaks = dailyPeaks(predictive, perDay);
    expect(peaks.length).toBeGreaterThanOrEqual(3);
    const cl = config.cluster;
    let checked = 0;
    for (const peak of peaks) {
      const peakMs = peak * tickMs;
      const from = peakMs - 12 * 3_600_000;
      const asked = (r: PolicyRun) => r.hostEvents.find((e) => e.kind === "requested" && e.t >= from && e.t <= peakMs);
      const p = asked(predictive);
      expect(p, `predictive asked for no host in the 12 h before the peak at ${peakMs / 3_600_000} h`).toBeDefined();
      expect(p!.t).toBeLessThan(peakMs);
      const r = asked(reactive);
      // Cancelling a drain ahead of the peak keeps a host instead of asking for one: predictive's
      // first step towards the peak is whichever of the two comes first.
      const kept = predictive.hostEvents.find((e) => e.kind === "drain_cancelled" && e.t >= from && e.t <= p!.t);
      if (r) expect(r.t, "reactive asks after predictive").toBeGreaterThan(kept?.t ?? p!.t);
      // Every copy onto the new host (setup, copy, verification) completes before the peak.
      const fills = predictive.actions.filter((a) => a.kind === "move" && a.destHostId === p!.hostId && a.t >= p!.t && a.t < peakMs);
      expect(fills.length, "moves onto the new host").toBeGreaterThan(0);
      for (const a of fills) {
        const done = a.t + (cl.migrationSetupSec + a.bytes! / cl.migrationBytesPerSec + a.bytes! / (cl.migrationBytesPerSec * cl.verifySpeedup)) * 1000;
        expect(done, "move onto the new host completes before the peak").toBeLessThanOrEqual(peakMs);
      }
      // At the peak the new host carries load like the others.
      const slot = predictive.hostIds.indexOf(p!.hostId);
      const n = predictive.hostIds.length;
      const utils = predictive.hostIds.map((_, h) => predictive.util[peak * n + h]!).filter((u) => u > 0);
      const mean = utils.reduce((a, b) => a + b, 0) / utils.length;
      expect(predictive.util[peak * n + slot]!).toBeGreaterThan(0.6 * mean);
      checked++;
    }
    expect(checked).toBe(peaks.length);
    // Drains start in a trough: the hosts that stay carry the load below the scale-in utilisation,
    // and for the next four hours still below the target utilisation.
    const drains = predictive.hostEvents.filter((e) => e.kind === "draining" && e.t >= predictive.measuredFromTick * tickMs);
    expect(drains.length).toBeGreaterThan(0);
    const cap = cl.hostCapacityEventsPerSec;
    for (const e of drains) {
      const t = Math.floor(e.t / tickMs);
      const staying = predictive.hostsServing[t]! - 1;
      expect(predictive.clusterLoad[t]!, `drain at ${e.t / 3_600_000} h`).toBeLessThanOrEqual(config.capacity.scaleInUtilization * staying * cap);
      const ahead = Array.from(predictive.clusterLoad.slice(t, t + Math.round((4 * 3_600_000) / tickMs)));
      expect(Math.max(...ahead), `load after the drain at ${e.t / 3_600_000} h`).toBeLessThanOrEqual(config.capacity.targetUtilization * staying * cap);
    }
    // Elasticity pays: fewer host-hours than the same cluster sized for the peak would have.
    expect(predictive.metrics.hostHours).toBeLessThan(predictive.metrics.hostsMax * (predictive.metrics.measuredMinutes / 60));
  }, 120_000);

  it.each(["diurnal", "tenants"] as const)("has an oracle no worse than predictive (%s)", (name) => {
    const { workload, config } =
      name === "diurnal" ? daily() : small({ workload: "tenants", days: 7, warmupDays: 3, params: { streams: 6, keysPerStream: 128, tenantHosts: 2 } });
    const result = compare(workload, config, { policies: ["predictive", "oracle"] });
    const o = runOf(result, "oracle").metrics;
    const p = runOf(result, "predictive").metrics;
    expect(o.violationMinutes).toBeLessThanOrEqual(p.violationMinutes + 1e-9);
    // Host-hours are compared at the same thresholds: the oracle plans at the product's, the suite's
    // predictive at its tuned ones (a higher target and its band at 85%), which buy fewer hosts
    // for more violation minutes. The oracle is a bound on violations, not on cost: it keeps the
    // margin on every host's lead (diurnal: 2% over predictive at the product's thresholds).
    const same = compare(workload, { ...config, policy: { ...config.policy, predictiveCapacity: {} } }, { policies: ["predictive"] });
    expect(o.hostHours).toBeLessThanOrEqual(runOf(same, "predictive").metrics.hostHours * 1.03);
  }, 120_000);
});
