import { describe, expect, it } from "vitest";
import { DemoLedger, REPORT_TENANT } from "../demo-ledger.ts";

describe("DemoLedger", () => {
  it("writes its rate over time, across tenants including the reported one, with unique ids", () => {
    const t0 = 1_700_000_000_000;
    const ledger = new DemoLedger(10, "t", t0);
    const events = [];
    // Ticks of a quarter second for two minutes, as the producer's loop calls it.
    for (let ms = 250; ms <= 120_000; ms += 250) events.push(...ledger.due(t0 + ms));
    expect(events.length).toBeGreaterThanOrEqual(1_199);
    expect(events.length).toBeLessThanOrEqual(1_200);
    expect(new Set(events.map((e) => e.id)).size).toBe(events.length);
    const keys = new Set(events.map((e) => e.key));
    expect(keys.has(REPORT_TENANT)).toBe(true);
    expect(keys.size).toBeGreaterThan(5);
  });

  it("owes nothing for a clock that stood still or went back", () => {
    const ledger = new DemoLedger(10, "t", 5_000);
    expect(ledger.due(5_000)).toEqual([]);
    expect(ledger.due(4_000)).toEqual([]);
    expect(ledger.due(4_500)).toHaveLength(5);
  });
});
