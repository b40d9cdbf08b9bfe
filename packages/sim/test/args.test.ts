import { describe, expect, it } from "vitest";
import { parseSimArgs, usage, UsageError } from "../src/cli/args.ts";
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
  });

  it("documents every workload and parameter", () => {
    const text = usage();
    for (const name of WORKLOAD_NAMES) expect(text).toContain(name);
    for (const p of ["crowdPeak", "driftRanksPerDay", "rampFactor", "announceLeadHours", "--bandwidth", "--copy-overhead", "--lead"]) expect(text).toContain(p);
  });
});
