import { describe, expect, it } from "vitest";
import { parseCapacitySettings, planCapacity, type CapacityInput } from "../src/index.ts";

const GiB = 1024 ** 3;
const HOUR = 3_600_000;
const NOW = 1_700_000_000_000;

/**
 * With hand-off moves a new host takes its share of the load as soon as it is registered: the
 * plan's lead is provisioning plus one hand-off, not the copy of its share of the stored bytes,
 * so the host is asked for later and arrives in time for a need the copying plan would meet late.
 */
describe("planCapacity with hand-off moves", () => {
  const settings = parseCapacitySettings({ provisionSec: 600, copyBytesPerSec: 1024 ** 2, movesPerHost: 2, moveSetupSec: 30, marginSec: 600 });
  const base: CapacityInput = {
    nowMs: NOW,
    stepMs: HOUR,
    // Four hosts of 1000 events/s at 75%: 3000 fit; the forecast passes that in one hour.
    forecast: [2800, 3200, 3400, 3300],
    observed: 2800,
    hosts: Array.from({ length: 4 }, (_, i) => ({ id: `h${i + 1}`, status: "active" as const, capacityEventsPerSec: 1000, sizeBytes: 10 * GiB })),
    settings,
  };

  it("leads by provisioning plus a hand-off, and says no history is copied", () => {
    const handing = planCapacity({ ...base, moveMode: "handoff" });
    expect(handing.leadSec).toBe(600 + 30 + 600);
    expect(handing.add).toMatchObject({ count: 1, late: false });
    expect(handing.add!.reason).toMatch(/its share of the load handed off to it in about 30 s, no history copied/);

    // The copying plan must copy 8 GiB at 2 MiB/s first (over an hour): the same need is late.
    const copying = planCapacity({ ...base, moveMode: "copy" });
    expect(copying.leadSec).toBeGreaterThan(4_000 + 1_200);
    expect(copying.add).toMatchObject({ count: 1, late: true });
    expect(copying.add!.reason).toMatch(/8 GiB to copy onto it/);
  });
});
