import { describe, expect, it, vi } from "vitest";
import { compare, DEFAULT_POLICIES, runOf, type PolicyName } from "../src/compare.ts";
import { simulate } from "../src/engine/simulation.ts";
import type { Policy } from "../src/engine/types.ts";
import type { OracleForecaster } from "../src/policies/forecasters.ts";
import { oraclePolicy } from "../src/policies/predictive.ts";
import { small } from "./fixtures.ts";

describe("the simulator", () => {
  it("is deterministic for a seed", () => {
    // Determinism needs a run in which the policies act, not a long one: three measured days.
    const run = (seed: number, policies: readonly PolicyName[] = ["reactive", "predictive"]) => {
      const { workload, config } = small({ workload: "zipf-drift", seed, days: 4, warmupDays: 1 });
      return compare(workload, config, { policies });
    };
    const a = run(3);
    const b = run(3);
    for (const name of ["reactive", "predictive"]) {
      const ra = runOf(a, name);
      const rb = runOf(b, name);
      expect(rb.metrics).toEqual(ra.metrics);
      expect(rb.actions).toEqual(ra.actions);
      expect(Array.from(rb.util)).toEqual(Array.from(ra.util));
    }
    // The run did something worth repeating, and another seed gives another run.
    expect(runOf(a, "reactive").actions.length).toBeGreaterThan(0);
    const c = run(4, ["predictive"]);
    expect(runOf(c, "predictive").metrics).not.toEqual(runOf(a, "predictive").metrics);
  });

  it("moves nothing on a flat uniform workload", () => {
    // Constant rate over uniform keys; sizes stay between the merge and split thresholds.
    // Many keys, so each shardlet's share of a uniform load is close to its width's.
    const { workload, config } = small({ workload: "flat", cluster: { eventBytes: 4 }, peakUtilisation: 0.5, params: { streams: 2, keysPerStream: 4096 } });
    const policies = ["static", ...DEFAULT_POLICIES] as const;
    const result = compare(workload, config, { policies });
    expect(result.runs.map((r) => r.policy)).toEqual([...policies]);
    for (const r of result.runs) {
      // static_peak sizes the cluster for the peak at the start (a drain, in the warm-up); nothing else moves.
      expect(r.actions.filter((a) => a.source !== "drain"), `${r.policy} acted`).toEqual([]);
      if (r.policy !== "static_peak") expect(r.hostEvents, `${r.policy} scaled`).toEqual([]);
      expect(r.metrics.migrations).toBe(0);
      expect(r.metrics.bytesMoved).toBe(0);
      expect(r.metrics.splits + r.metrics.merges).toBe(0);
      expect(r.metrics.violationMinutes).toBe(0);
    }
    // The workload really is flat and the cluster really carries it.
    expect(runOf(result, "static").metrics.maxMeanP99).toBeLessThan(1.15);
    expect(runOf(result, "static").metrics.events).toBeGreaterThan(1e9);
  });

  // Small clusters where only foresight keeps up, within three measured days: a host takes hours to
  // provision and the daily peak comes near what the cluster can carry, so a host asked for once
  // the load is there comes too late (and the crowds come unannounced, so only the true future
  // knows them). However moves are made, the oracle asks in time. How far it leads on the default
  // cluster over weeks is an experiment: `npm run sim` and the benchmark suite measure it.
  const foresight: Record<"diurnal" | "zipf-drift" | "flash-crowd", () => ReturnType<typeof small>> = {
    diurnal: () =>
      small({ workload: "diurnal", days: 4, warmupDays: 1, peakUtilisation: 0.9, params: { dailyAmplitude: 0.6, weeklyAmplitude: 0, phaseSpread: 0 }, cluster: { provisionSec: 6 * 3600 } }),
    "zipf-drift": () => small({ workload: "zipf-drift", days: 4, warmupDays: 1, peakUtilisation: 0.9, cluster: { provisionSec: 6 * 3600 } }),
    "flash-crowd": () => small({ workload: "flash-crowd", days: 4, warmupDays: 1, peakUtilisation: 1, params: { announcedShare: 0 }, cluster: { provisionSec: 4 * 3600 } }),
  };
  it.each(Object.keys(foresight) as Array<keyof typeof foresight>)("has an oracle never worse than the other policies, and better than reacting (%s)", (name) => {
    const { workload, config } = foresight[name]();
    const result = compare(workload, config, { policies: ["static", "reactive", "predictive", "oracle"] });
    const minutes = (policy: string) => runOf(result, policy).metrics.violationMinutes;
    // Static placement is stressed here, so "never worse" is not trivially 0 <= 0, and every
    // policy that acts does better than one that never does.
    expect(minutes("static")).toBeGreaterThan(0);
    for (const acting of ["reactive", "predictive", "oracle"]) expect(minutes(acting), `${acting} vs static`).toBeLessThan(minutes("static"));
    for (const other of ["static", "reactive", "predictive"]) {
      expect(minutes("oracle"), `oracle vs ${other}`).toBeLessThanOrEqual(minutes(other) + 1e-9);
    }
    // Each case is built so that acting on current load comes too late.
    expect(minutes("oracle")).toBeLessThan(minutes("reactive"));
  });

  it("answers every forecast the oracle asks for with the load its shardlet then carries", () => {
    const { workload, config } = small({ workload: "zipf-drift", days: 4, warmupDays: 1 });
    const policy = oraclePolicy();
    const f = policy.forecaster as OracleForecaster;
    const forecasts = vi.spyOn(f, "forecast");
    // Whose history each array is (the engine hands a shardlet one array per bucket), and what each
    // shardlet's history shows of every completed bucket: the truth the forecasts are held to.
    const owner = new WeakMap<readonly number[], { id: string; bucket: number }>();
    const carried = new Map<string, number>();
    const watching: Policy = {
      name: policy.name,
      decide(view) {
        for (const s of view.shardlets) {
          const history = view.history(s);
          owner.set(history, { id: s.id, bucket: view.bucket });
          if (history.length > 0) carried.set(`${s.id}@${view.bucket - 1}`, history[history.length - 1]!);
        }
        return policy.decide(view);
      },
    };
    simulate({ workload, config, policy: watching });
    expect(f.misses).toBe(0);
    expect(forecasts.mock.calls.length).toBeGreaterThan(1000);
    let compared = 0;
    const wrong: string[] = [];
    forecasts.mock.calls.forEach(([input], call) => {
      const o = owner.get(input.history);
      if (!o) {
        wrong.push(`call ${call}: a history the engine never handed out`);
        return;
      }
      const result = forecasts.mock.results[call]!;
      const values = result.type === "return" ? result.value : [];
      expect(values, `forecast length of call ${call}`).toHaveLength(input.horizon);
      values.forEach((v, step) => {
        // A shardlet split or merged since has no later history under its id.
        const truth = carried.get(`${o.id}@${o.bucket + step}`);
        if (truth === undefined) return;
        compared++;
        if (Math.abs(v - truth) > 1e-9 * Math.max(1, truth)) wrong.push(`${o.id} at bucket ${o.bucket + step}: forecast ${v}, carried ${truth}`);
      });
    });
    expect(wrong.slice(0, 5)).toEqual([]);
    expect(compared).toBeGreaterThan(1000);
  });

  it("splits or moves ahead of an announced flash crowd, before it peaks", () => {
    const { workload, config } = small({
      workload: "flash-crowd",
      params: { crowdsPerDay: 0.5, crowdPeak: 0.35, crowdHours: 6, announcedShare: 1, announceLeadHours: 3, dailyAmplitude: 0.2, weeklyAmplitude: 0 },
    });
    const crowds = workload.markers.filter((m) => m.kind === "flash_crowd");
    expect(crowds.length).toBeGreaterThan(0);
    expect(workload.announcements.length).toBe(crowds.length);
    const result = compare(workload, config, { policies: ["reactive", "predictive"] });
    crowds.forEach((crowd, i) => {
      const hint = workload.announcements[i]!;
      const known = hint.knownFromBucket * workload.bucketMs;
      const onCrowd = (policy: string) =>
        runOf(result, policy).actions.filter(
          (a) => a.t >= known && a.streamId === crowd.streamId && a.lo < crowd.hi && a.hi > crowd.lo && (a.kind === "split" || a.kind === "move"),
        );
      const predictive = onCrowd("predictive");
      const ahead = predictive.find((a) => a.source === "analyzer");
      expect(ahead, `${crowd.label}: predictive did not act on the hint`).toBeDefined();
      expect(ahead!.t, `${crowd.label}: first forecast-driven action vs peak`).toBeLessThan(crowd.peakMs!);
      // Reactive only acts once the crowd's load is there, after the forecast-driven action.
      const reactive = onCrowd("reactive")[0];
      if (reactive) expect(ahead!.t).toBeLessThan(reactive.t);
    });
  });
});
