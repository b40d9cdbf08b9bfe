import { describe, expect, it } from "vitest";
import { parseArgs, usage, UsageError } from "../src/args.ts";
import { checkMetrics, formatTable, measureInterleaved, measureRepeated, median, medianRatio, percentile } from "../src/harness.ts";
import { findSuite, SUITES } from "../src/suites/index.ts";

const NAMES = ["routing", "ingest"];

describe("parseArgs", () => {
  it("parses a suite with options in either form", () => {
    expect(parseArgs(["--suite", "routing"], NAMES)).toEqual({ help: false, suite: "routing", quick: false, json: undefined });
    expect(parseArgs(["--quick", "--suite=ingest", "--json", "out/r.json"], NAMES)).toEqual({
      help: false,
      suite: "ingest",
      quick: true,
      json: "out/r.json",
    });
    expect(parseArgs(["--help"], NAMES)).toEqual({ help: true });
    expect(parseArgs(["--suite", "nope", "-h"], NAMES)).toEqual({ help: true });
  });

  it("explains what is wrong", () => {
    const reason = (argv: string[]) => {
      try {
        parseArgs(argv, NAMES);
      } catch (err) {
        expect(err).toBeInstanceOf(UsageError);
        return (err as Error).message;
      }
      throw new Error("no error");
    };
    expect(reason([])).toBe("--suite is required (one of: routing, ingest)");
    expect(reason(["--suite"])).toBe("--suite needs a value");
    expect(reason(["--suite", "--quick"])).toBe("--suite needs a value");
    expect(reason(["--suite="])).toBe("--suite needs a value");
    expect(reason(["--suite", "routing", "--json"])).toBe("--json needs a value");
    expect(reason(["--suite", "bogus"])).toBe('unknown suite "bogus" (available: routing, ingest)');
    expect(reason(["--suite", "routing", "--fast"])).toBe('unknown argument "--fast"');
    expect(reason(["--quick=yes", "--suite", "routing"])).toBe("--quick takes no value");
  });

  it("usage lists every suite", () => {
    const text = usage([
      { name: "routing", description: "lookups" },
      { name: "ingest", description: "edge vs direct" },
    ]);
    expect(text).toMatch(/routing\s+lookups/);
    expect(text).toMatch(/ingest\s+edge vs direct/);
  });
});

describe("harness", () => {
  it("median of odd and even lists, and of none", () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([7])).toBe(7);
    expect(() => median([])).toThrow(RangeError);
  });

  it("percentile by nearest rank, without reordering its input, and 0 of none", () => {
    const values = [5, 1, 4, 2, 3, 10, 9, 8, 7, 6];
    expect(percentile(values, 50)).toBe(6);
    expect(percentile(values, 99)).toBe(10);
    expect(percentile(values, 0)).toBe(1);
    expect(values[0]).toBe(5);
    expect(percentile([], 99)).toBe(0);
  });

  it("measureRepeated runs warm-up plus runs and reports every sample", async () => {
    let calls = 0;
    const m = await measureRepeated(
      async () => {
        calls++;
        await new Promise((r) => setImmediate(r));
      },
      { runs: 5, warmup: 2 },
    );
    expect(calls).toBe(7);
    expect(m.samples).toHaveLength(5);
    expect(m.median).toBe(median(m.samples));
    expect(m.samples.every((s) => s >= 0)).toBe(true);
    await expect(measureRepeated(() => 0, { runs: 0, warmup: 0 })).rejects.toThrow(RangeError);
  });

  it("measureInterleaved alternates functions run by run", async () => {
    const order: string[] = [];
    const m = await measureInterleaved({ a: () => order.push("a"), b: () => order.push("b") }, { runs: 2, warmup: 1 });
    expect(order).toEqual(["a", "b", "a", "b", "a", "b"]);
    expect(m.a.samples).toHaveLength(2);
    expect(m.b.samples).toHaveLength(2);
  });

  it("medianRatio pairs samples by run", () => {
    expect(medianRatio([2, 4, 9], [1, 2, 3])).toBe(2);
    expect(() => medianRatio([1], [1, 2])).toThrow(RangeError);
  });

  it("formats a table and checks metrics are finite numbers", () => {
    const table = formatTable({ lookups_per_s: 12_345_678.9, ratio: 0.51234 });
    expect(table).toContain("12,345,679");
    expect(table).toContain("0.512");
    expect(() => checkMetrics("x", { ok: 1 })).not.toThrow();
    expect(() => checkMetrics("x", { bad: NaN })).toThrow(/metric bad/);
    expect(() => checkMetrics("x", { bad: Infinity })).toThrow(/metric bad/);
  });
});

describe("suite registry", () => {
  it("has uniquely named suites including routing", () => {
    const names = SUITES.map((s) => s.name);
    expect(new Set(names).size).toBe(names.length);
    expect(findSuite("routing")?.description).toMatch(/lookups/);
    expect(findSuite("nope")).toBeUndefined();
  });
});

describe("routing suite", () => {
  it("reports the documented metrics in quick mode", async () => {
    const lines: string[] = [];
    const metrics = await findSuite("routing")!.run({ quick: true, log: (l) => lines.push(l) });
    for (const key of ["lookups_per_s", "route_with_hash_per_s", "lookup_ns_median", "lookup_vs_array_index_ratio"]) {
      expect(metrics[key], key).toBeGreaterThan(0);
    }
    expect(metrics.shardlets).toBe(10_000);
    expect(() => checkMetrics("routing", metrics)).not.toThrow();
    expect(lines.some((l) => l.startsWith("run 1/"))).toBe(true);
    // The config's limit: the suite's fixed work takes over a minute while every workspace's tests share two cores.
  });
});
