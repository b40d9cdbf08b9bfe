import { describe, expect, it } from "vitest";
import { traceReader } from "../src/cli/io.ts";
import { EARLIER_CLUSTER } from "../src/cluster.ts";
import { compare, runOf } from "../src/compare.ts";
import { fitsGreedy } from "../src/policies/drain-guard.ts";
import { scenario } from "../src/scenario.ts";

describe("the oracle's drain check", () => {
  const hosts = (a: number[], b: number[]) =>
    new Map([
      ["a", [...a]],
      ["b", [...b]],
    ]);
  const capacity = new Map([
    ["a", 90],
    ["b", 90],
  ]);

  it("places each drained shardlet where the host's peak grows least, so two loads that peak apart share a host", () => {
    // a peaks early, b late: the early-peaking shardlet goes onto b, the late one onto a.
    expect(fitsGreedy(hosts([80, 10, 10], [10, 10, 80]), capacity, [[0, 0, 50], [50, 0, 0]])).toBe(true);
  });

  it("refuses a drain when a burst hours ahead leaves no host room for what the drained host holds", () => {
    // Room at every step today (40 + 30 < 90), but both hosts' shardlets burst at step 4.
    const burst = hosts([40, 40, 40, 40, 85], [40, 40, 40, 40, 80]);
    expect(fitsGreedy(burst, capacity, [[30, 30, 30, 30, 30]])).toBe(false);
    expect(fitsGreedy(hosts([40, 40, 40, 40, 40], [40, 40, 40, 40, 40]), capacity, [[30, 30, 30, 30, 30]])).toBe(true);
  });

  it("counts a larger host's capacity: the drained load goes where it is the smaller share", () => {
    const mixed = new Map([
      ["a", 90],
      ["b", 180],
    ]);
    const series = hosts([50, 50], [60, 60]);
    expect(fitsGreedy(series, mixed, [[80, 80]])).toBe(true);
    expect(series.get("b")).toEqual([140, 140]);
  });

  // The case that made the check: on the tweet volumes the capacity plan, seeing the cluster's
  // night trough, drained a host onto the one whose ticker burst hours later; hosts asked for in
  // time then filled only as fast as moves came off that host. On the cluster of then: hand-offs
  // move a burst's load within a tick, so packing it costs minutes only while moves copy.
  it("keeps the oracle from packing a coming burst onto one host (tweet volumes)", () => {
    const { workload, config } = scenario({ workload: "nab-tweets", seed: 101, days: 22, cluster: { ...EARLIER_CLUSTER }, readTrace: traceReader(undefined) });
    const checked = runOf(compare(workload, config, { policies: ["oracle"] }), "oracle").metrics;
    const unchecked = runOf(compare(workload, { ...config, policy: { ...config.policy, oracle: { ...config.policy.oracle, drainLookaheadSec: 0 } } }, { policies: ["oracle"] }), "oracle").metrics;
    expect(unchecked.violationMinutes).toBeGreaterThan(60);
    expect(checked.violationMinutes).toBeLessThan(unchecked.violationMinutes / 4);
    // Bought with kept hosts, not many of them.
    expect(checked.hostHours).toBeLessThan(unchecked.hostHours * 1.2);
  }, 120_000);
});
