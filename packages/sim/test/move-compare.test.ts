import { parseRebalanceSettings } from "@shardcast/core";
import { describe, expect, it } from "vitest";
import { parseSimArgs, usage, UsageError } from "../src/cli/args.ts";
import { DEFAULT_CLUSTER, EARLIER_CLUSTER } from "../src/cluster.ts";
import { defaultConfig } from "../src/config.ts";
import { moveModelMetrics, withoutAbsentPolicies } from "../src/move-compare.ts";
import { bytesCopied, forMoves, leadSettings, moveSeconds, rebalanceMoveCost } from "../src/move-model.ts";
import type { RunTotals, SeedRun, SuiteRun } from "../src/suite.ts";
import { HOUR_MS } from "../src/workload/generators.ts";

describe("the move model's costs", () => {
  const copy = { ...DEFAULT_CLUSTER, moveModel: "copy" as const };
  const handoff = { ...DEFAULT_CLUSTER, moveModel: "handoff" as const };
  const gb = 1e9;

  it("defaults to the product's planners' moves (hand-offs) at the product's retention", () => {
    expect(DEFAULT_CLUSTER.moveModel).toBe(parseRebalanceSettings({}).moveMode);
    expect(DEFAULT_CLUSTER.moveModel).toBe("handoff");
    expect(DEFAULT_CLUSTER.retentionHours).toBe(168);
    // A host's share (about 30 GB at the default load) takes about 32 hours to copy in its two slots.
    const share = 6_329 * DEFAULT_CLUSTER.eventBytes * DEFAULT_CLUSTER.retentionHours * 3600;
    const hours = share / (2 * DEFAULT_CLUSTER.migrationBytesPerSec) / 3600;
    expect(hours).toBeGreaterThan(28);
    expect(hours).toBeLessThan(36);
    // The earlier cluster stored about as much in a day as this one in a week, 4.5 hours to copy.
    const earlier = (6_329 * EARLIER_CLUSTER.eventBytes * EARLIER_CLUSTER.retentionHours * 3600) / (2 * EARLIER_CLUSTER.migrationBytesPerSec) / 3600;
    expect(earlier).toBeCloseTo(4.6, 1);
  });

  it("times a copy by its bytes and a hand-off by its fixed seconds", () => {
    const c = moveSeconds(copy, gb);
    expect(c).toBeCloseTo(copy.migrationSetupSec + gb / copy.migrationBytesPerSec + gb / (copy.migrationBytesPerSec * copy.verifySpeedup), 9);
    expect(moveSeconds(handoff, gb)).toBe(handoff.handoffSec);
    expect(moveSeconds(handoff, 1000 * gb)).toBe(handoff.handoffSec);
    expect(bytesCopied(copy, gb)).toBe(gb);
    expect(bytesCopied(handoff, gb)).toBe(0);
    expect(rebalanceMoveCost(handoff).setupSec).toBe(handoff.handoffSec);
    expect(rebalanceMoveCost(copy)).toEqual({ setupSec: copy.migrationSetupSec, copyBytesPerSec: copy.migrationBytesPerSec / (1 + 1 / copy.verifySpeedup) });
  });

  it("shows the move planners the bytes a move copies", () => {
    const shardlets = [{ id: "a", sizeBytes: gb }];
    expect(forMoves(copy, shardlets)).toBe(shardlets);
    expect(forMoves(handoff, shardlets)).toEqual([{ id: "a", sizeBytes: 0 }]);
    expect(shardlets[0]!.sizeBytes).toBe(gb);
  });

  it("plans a host's lead and the oracle's look-ahead with the move in force", () => {
    const cfg = (moveModel: "copy" | "handoff") => defaultConfig(HOUR_MS, 24, { cluster: { moveModel } });
    const h = cfg("handoff");
    const c = cfg("copy");
    expect(leadSettings(c.cluster, c.capacity)).toBe(c.capacity);
    const lead = leadSettings(h.cluster, h.capacity);
    expect(lead.moveSetupSec).toBe(h.cluster.handoffSec);
    expect(30 * gb / (lead.copyBytesPerSec * lead.movesPerHost)).toBe(0);
    // The history a drain must copy off is still timed at the copy budget.
    expect(h.capacity.copyBytesPerSec).toBe(h.cluster.migrationBytesPerSec);
    // The predictive policy's look-ahead per host: an hour for copies, a tick for hand-offs.
    expect(c.policy.hostOutlook.leadMinutes).toBe(60);
    expect(h.policy.hostOutlook.leadMinutes).toBe(h.cluster.tickMinutes);
  });
});

describe("npm run sim -- --move-model", () => {
  it("parses the move model and the hand-off's duration, and documents them", () => {
    expect(parseSimArgs(["--move-model", "copy"])!.scenario.cluster).toEqual({ moveModel: "copy" });
    expect(parseSimArgs(["--move-model=handoff", "--handoff-sec", "2"])!.scenario.cluster).toEqual({ moveModel: "handoff", handoffSec: 2 });
    expect(() => parseSimArgs(["--move-model", "teleport"])).toThrow(UsageError);
    expect(() => parseSimArgs(["--move-model", "teleport"])).toThrow('--move-model must be copy or handoff, got "teleport"');
    expect(() => parseSimArgs(["--handoff-sec", "-1"])).toThrow(UsageError);
    for (const flag of ["--move-model", "--handoff-sec", "handoff", "copy"]) expect(usage()).toContain(flag);
  });
});

describe("the suite's comparison of the move models", () => {
  const totals = (violationMinutes: number, hostHours = 100): RunTotals => ({
    violationMinutes,
    hostHours,
    bytesMoved: 0,
    maxMeanP99: 1,
    migrations: 0,
    p99LatencyMs: 0,
    hostsMin: 1,
    hostsMax: 1,
    shardletsMax: 1,
  });
  const seed = (workload: string, s: number, tuned: number, predictive: number, hostHours = 100): SeedRun => ({
    workload,
    seed: s,
    summary: {} as SeedRun["summary"],
    policies: { reactive_tuned: totals(tuned, hostHours), predictive: totals(predictive, hostHours) },
    lowerBoundHostHours: 1,
    trackingHostHours: 1,
    boundHostHours: 1,
    wallMs: 0,
  });
  const suite = (seeds: SeedRun[]): SuiteRun => ({ comparisons: [], seeds, headline: {} as SuiteRun["headline"] });

  it("pools 1 - hand-off / copy violation minutes per policy, and per workload with the median over seeds", () => {
    const handoff = suite([seed("a-b", 1, 10, 0, 90), seed("a-b", 2, 0, 5), seed("a-b", 3, 20, 0), seed("c", 1, 0, 0)]);
    const copy = suite([seed("a-b", 1, 40, 10), seed("a-b", 2, 60, 5), seed("a-b", 3, 20, 0), seed("c", 1, 0, 0)]);
    const m = moveModelMetrics({ handoff, copy });
    expect(m.handoff_violation_reduction_vs_copy_reactive_tuned).toBeCloseTo(1 - 30 / 120, 9);
    expect(m.handoff_violation_reduction_vs_copy_predictive).toBeCloseTo(1 - 5 / 15, 9);
    expect(m.handoff_host_hours_ratio_vs_copy_reactive_tuned).toBeCloseTo(390 / 400, 9);
    // Per seed: 0.75, 1 and 0; the median is 0.75.
    expect(m.a_b_handoff_violation_reduction_vs_copy_reactive_tuned_median).toBeCloseTo(0.75, 9);
    expect(m.a_b_handoff_violation_reduction_vs_copy_reactive_tuned_min).toBe(0);
    expect(m.a_b_handoff_violation_reduction_vs_copy_reactive_tuned_max).toBe(1);
    // Nothing to reduce where copies had no violation minutes.
    expect(m.c_handoff_violation_reduction_vs_copy_predictive).toBe(0);
    expect(m.handoff_seeds_per_workload).toBe(2);
    for (const [k, v] of Object.entries(m)) expect(Number.isFinite(v), k).toBe(true);
  });
});

describe("keys of policies a run left out", () => {
  it("drops their totals and ratios, per workload and ranged, and keeps reactive_tuned's", () => {
    const metrics = {
      violation_minutes_reactive: 0,
      violation_minutes_reactive_tuned: 5,
      oracle_violation_reduction_vs_reactive: 0,
      violation_reduction_vs_reactive: 0.5,
      tenants_violation_reduction_vs_reactive_default_median: 0,
      tenants_host_hours_hybrid: 0,
      tenants_violation_minutes_predictive: 3,
    };
    expect(withoutAbsentPolicies(metrics, ["static_peak", "reactive_tuned", "predictive"])).toEqual({
      violation_minutes_reactive_tuned: 5,
      violation_reduction_vs_reactive: 0.5,
      tenants_violation_minutes_predictive: 3,
    });
  });
});
