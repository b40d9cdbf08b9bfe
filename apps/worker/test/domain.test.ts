import { describe, expect, it } from "vitest";
import {
  accountShardlet,
  hostEventCount,
  MIN_RATE_WINDOW_MS,
  streamRates,
  type ShardletRecord,
} from "../src/domain/accounting.ts";
import { healthTransition, MAX_ERROR_LENGTH, probeErrorMessage } from "../src/domain/health.ts";

const prev: ShardletRecord = {
  id: "s1",
  streamId: "st1",
  eventCount: 100,
  sizeBytes: 10_000,
  writeRate: 7,
  updatedAtMs: 1_000_000,
};

describe("accountShardlet", () => {
  it("computes events/s and bytes/s over the window since the previous accounting", () => {
    const u = accountShardlet(prev, { events: 150, bytes: 15_000 }, prev.updatedAtMs + 5_000);
    expect(u).toEqual({ id: "s1", streamId: "st1", eventCount: 150, sizeBytes: 15_000, writeRate: 10, byteRate: 1_000, write: true });
  });

  it("reports zero for a shardlet the host has no totals for", () => {
    const fresh = { ...prev, eventCount: 0, sizeBytes: 0, writeRate: 0 };
    const u = accountShardlet(fresh, undefined, prev.updatedAtMs + 2_000);
    expect(u).toMatchObject({ eventCount: 0, sizeBytes: 0, writeRate: 0, byteRate: 0, write: true });
  });

  it("never reports a negative rate when totals shrink", () => {
    const u = accountShardlet(prev, { events: 40, bytes: 4_000 }, prev.updatedAtMs + 2_000);
    expect(u).toMatchObject({ eventCount: 40, sizeBytes: 4_000, writeRate: 0, byteRate: 0, write: true });
  });

  it("keeps the record and the previous rate when the window is too short to measure", () => {
    const u = accountShardlet(prev, { events: 500, bytes: 50_000 }, prev.updatedAtMs + MIN_RATE_WINDOW_MS - 1);
    expect(u).toMatchObject({ eventCount: 100, sizeBytes: 10_000, writeRate: 7, write: false });
    // Estimated at the average stored event size (100 bytes).
    expect(u.byteRate).toBe(700);
  });

  it("treats a clock that went backwards as a too-short window", () => {
    const u = accountShardlet(prev, { events: 500, bytes: 50_000 }, prev.updatedAtMs - 10_000);
    expect(u.write).toBe(false);
    expect(u.writeRate).toBe(7);
  });
});

describe("streamRates", () => {
  it("sums shardlet rates per stream and in total, keeping idle streams at zero", () => {
    const rates = streamRates([
      { id: "a", streamId: "x", eventCount: 0, sizeBytes: 0, writeRate: 2, byteRate: 20, write: true },
      { id: "b", streamId: "x", eventCount: 0, sizeBytes: 0, writeRate: 3, byteRate: 30, write: true },
      { id: "c", streamId: "y", eventCount: 0, sizeBytes: 0, writeRate: 0, byteRate: 0, write: true },
    ]);
    expect(rates).toEqual([
      { streamId: "x", eventsPerSec: 5, bytesPerSec: 50 },
      { streamId: "y", eventsPerSec: 0, bytesPerSec: 0 },
      { streamId: null, eventsPerSec: 5, bytesPerSec: 50 },
    ]);
  });

  it("reports a zero total when there is nothing to account", () => {
    expect(streamRates([])).toEqual([{ streamId: null, eventsPerSec: 0, bytesPerSec: 0 }]);
  });

  it("adds up a host's event count", () => {
    expect(hostEventCount([{ events: 3, bytes: 1 }, { events: 4, bytes: 1 }])).toBe(7);
  });
});

describe("healthTransition", () => {
  it("marks an unreachable host down once", () => {
    expect(healthTransition("active", false)).toEqual({ next: "down", change: "host.down" });
    expect(healthTransition("draining", false)).toEqual({ next: "down", change: "host.down" });
    expect(healthTransition("down", false)).toEqual({ next: "down", change: null });
  });

  it("brings a down host back, and leaves active and draining hosts alone", () => {
    expect(healthTransition("down", true)).toEqual({ next: "active", change: "host.up" });
    expect(healthTransition("active", true)).toEqual({ next: "active", change: null });
    expect(healthTransition("draining", true)).toEqual({ next: "draining", change: null });
  });
});

describe("probeErrorMessage", () => {
  it("redacts DSNs and keeps one bounded line", () => {
    const msg = probeErrorMessage(new Error("could not reach\npostgres://app:hunter2@db.internal:5432/h1 (timeout)"));
    expect(msg).not.toContain("hunter2");
    expect(msg).toContain("db.internal");
    expect(msg).not.toContain("\n");
    expect(probeErrorMessage(new Error("x".repeat(2_000))).length).toBe(MAX_ERROR_LENGTH);
    expect(probeErrorMessage("plain")).toBe("plain");
  });
});
