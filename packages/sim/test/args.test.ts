import { describe, expect, it } from "vitest";
import { parseSimArgs, usage, UsageError } from "../src/cli/args.ts";
import { PREDICTIVE_TUNED } from "../src/config.ts";
import { scenario } from "../src/scenario.ts";
import { WORKLOAD_NAMES } from "../src/workload/catalog.ts";

const reason = (argv: string[]) => {
  try {
    parseSimArgs(argv);
  } catch (err) {
    expect(err).toBeInstanceOf(UsageError);
    return (err as Error).message;
  }
  throw new Error("no error");
};

describe("npm run sim arguments", () => {
  it("parses a run with overrides in either form", () => {
    const a = parseSimArgs(["--workload", "flash-crowd", "--seed=3", "--days", "10", "--out", "r.html", "--hosts", "4", "--bandwidth", "8", "--param", "crowdPeak=0.2", "--policies", "reactive,oracle"])!;
    expect(a.all).toBe(false);
    expect(a.scenario).toEqual({
      workload: "flash-crowd",
      seed: 3,
      days: 10,
      cluster: { hosts: 4, migrationBytesPerSec: 8 * 1_048_576 },
      params: { crowdPeak: 0.2 },
    });
    expect(a.policies).toEqual(["reactive", "oracle"]);
    expect(a.out).toBe("r.html");
    expect(parseSimArgs(["--workload", "all", "--quick", "--tolerance", "0.1"])).toMatchObject({ all: true, quick: true, scenario: { policy: { rebalance: { tolerance: 0.1 } } } });
    expect(parseSimArgs(["--help"])).toBeNull();
    expect(parseSimArgs(["--outlook", "0"])).toMatchObject({ scenario: { policy: { hostOutlook: { windowMinutes: 60, leadMinutes: 0 } } } });
    expect(parseSimArgs(["--oracle-drain-hours", "0"])).toMatchObject({ scenario: { policy: { oracle: { drainLookaheadSec: 0 } } } });
    expect(() => parseSimArgs(["--oracle-drain-hours", "-1"])).toThrow(UsageError);
    expect(parseSimArgs(["--forecast-quantile", "0", "--forecaster", "holt_winters"])).toMatchObject({ scenario: { capacity: { forecastQuantile: 0 }, policy: { forecaster: "holt_winters" } } });
  });

  it("explains what is wrong", () => {
    expect(reason(["--workload", "nope"])).toMatch(/^unknown workload "nope"/);
    expect(reason(["--days", "0"])).toBe('--days must be a number of days from 0 to 400, got "0"');
    expect(reason(["--seed"])).toBe("--seed needs a value");
    expect(reason(["--workload", "ramp", "--param", "crowdPeak=1"])).toMatch(/^workload ramp has no parameter crowdPeak/);
    expect(reason(["--param", "zipfS"])).toBe('--param needs key=value, got "zipfS"');
    expect(reason(["--policies", "static,magic"])).toMatch(/^unknown policy "magic"/);
    expect(reason(["--analyzer-moves", "some"])).toMatch(/^--analyzer-moves must be/);
    expect(reason(["--fast"])).toBe('unknown argument "--fast"');
    expect(reason(["--forecast-quantile", "1"])).toBe('--forecast-quantile must be a fraction from 0 to below 1, got "1"');
    expect(reason(["--forecaster", "lstm"])).toMatch(/^--forecaster must be holt_winters, seasonal_naive or daily_median/);
  });

  it("gives the predictive policy its tuned thresholds unless the run sets them", () => {
    const base = { workload: "flat" as const, seed: 1, days: 2, warmupDays: 1 };
    expect(scenario(base).config.policy.predictiveCapacity).toEqual(PREDICTIVE_TUNED);
    const set = scenario({ ...base, capacity: { targetUtilization: 0.7 } }).config;
    expect(set.policy.predictiveCapacity).toEqual({ ...PREDICTIVE_TUNED, targetUtilization: 0.7 });
    expect(set.capacity.targetUtilization).toBe(0.7);
  });

  it("documents every workload and parameter", () => {
    const text = usage();
    for (const name of WORKLOAD_NAMES) expect(text).toContain(name);
    for (const p of ["crowdPeak", "driftRanksPerDay", "rampFactor", "announceLeadHours", "--bandwidth", "--copy-overhead", "--lead", "--forecast-quantile", "daily_median"]) expect(text).toContain(p);
  });
});
