import { describe, expect, it } from "vitest";
import { keyHash, WorkloadGenerator } from "@shardcast/core";
import { DemoPrecursors } from "../demo-precursors.ts";

describe("demo precursors", () => {
  it("announces most flash crowds on their keys ahead of time, and sends some false alarms", () => {
    const start = Date.now();
    const gen = new WorkloadGenerator({ seed: "demo", keys: 5000, idPrefix: "t", rhythm: { baseRate: 200, originMs: start } });
    const pre = new DemoPrecursors(gen, { leadMs: 45_000, announceShare: 0.8, falseAlarmEveryMs: 180_000, idPrefix: "t" });
    const announced = new Map<number, number>();
    let falseAlarms = 0;
    let bursts = 0;
    let lastBurst = -1;
    for (let t = start; t < start + 3 * 3_600_000; t += 250) {
      const b = gen.burstAt(t);
      if (b && b.index !== lastBurst) {
        lastBurst = b.index;
        bursts++;
      }
      for (const e of pre.due(t)) {
        expect(e.type).toBe("campaign_started");
        const ahead = gen.burstAt(t + 45_000);
        const h = keyHash(String(e.key));
        if (ahead && h >= ahead.hashLo && h < ahead.hashHi) announced.set(ahead.index, ahead.startMs - t);
        else falseAlarms++;
      }
    }
    expect(bursts).toBeGreaterThan(20);
    // About four in five crowds are announced, each at most 45 s before it starts.
    expect(announced.size / bursts).toBeGreaterThan(0.6);
    expect(announced.size / bursts).toBeLessThan(0.95);
    for (const lead of announced.values()) expect(lead).toBeLessThanOrEqual(45_000);
    // Three events per false alarm, one every 1.5 to 4.5 minutes.
    expect(falseAlarms / 3).toBeGreaterThan(30);
    expect(falseAlarms / 3).toBeLessThan(130);
  });
});
