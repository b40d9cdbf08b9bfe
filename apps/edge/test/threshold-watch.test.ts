import { describe, expect, it } from "vitest";
import { ThresholdWatch } from "../src/threshold-watch.ts";

describe("ThresholdWatch", () => {
  it("reports a shardlet once its size plus this edge's writes pass the threshold, then stays quiet", () => {
    let now = 0;
    const reports: string[] = [];
    const watch = new ThresholdWatch((id) => reports.push(id), { threshold: () => 0.8, quietMs: 10_000, clock: () => now });
    watch.setLoads("s", [
      { id: "a", sizeBytes: 700, capacityBytes: 1000 },
      { id: "b", sizeBytes: 0, capacityBytes: 1000 },
    ]);
    watch.add("a", 50);
    expect(reports).toEqual([]);
    watch.add("a", 60); // 810 / 1000
    expect(reports).toEqual(["a"]);
    watch.add("a", 100);
    expect(reports).toEqual(["a"]); // quiet period
    now = 11_000;
    watch.add("a", 1);
    expect(reports).toEqual(["a", "a"]);
    watch.add("b", 500);
    expect(reports).toEqual(["a", "a"]);
  });

  it("starts counting again from fresh sizes and forgets shardlets that are gone", () => {
    const reports: string[] = [];
    const watch = new ThresholdWatch((id) => reports.push(id), { threshold: () => 0.5, quietMs: 0 });
    watch.setLoads("s", [{ id: "a", sizeBytes: 0, capacityBytes: 100 }]);
    watch.add("a", 40);
    // Accounting caught up (the 40 bytes are in the new size); a split replaced "a" by "c".
    watch.setLoads("s", [{ id: "c", sizeBytes: 40, capacityBytes: 100 }]);
    watch.add("a", 100); // unknown now: ignored
    watch.add("c", 5);
    expect(reports).toEqual([]);
    watch.add("c", 10); // 55 / 100
    expect(reports).toEqual(["c"]);
  });
});
