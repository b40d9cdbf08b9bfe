import { keyHash } from "@shardcast/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { HostDriver } from "../src/index.ts";
import { createTestHostDb } from "../src/testing.ts";
import { event } from "./helpers.ts";

/**
 * Range reads against a plain filter of everything stored: the same events, however the cursor is
 * cut (one segment, a few inline ones, many that take the array form), and an answer that says
 * how far it is complete when the scan or the page stops it.
 */
describe("range reads", () => {
  let host: { dsn: string; drop: () => Promise<void> };
  let driver: HostDriver;
  const streamId = "stream-r";
  const all: Array<{ seq: number; hash: number }> = [];

  beforeAll(async () => {
    host = await createTestHostDb();
    driver = new HostDriver(host.dsn, { poolSize: 2 });
    await driver.setFence("s-all", streamId, 1, "active", { lo: 0, hi: 2 ** 32 });
    const events = Array.from({ length: 2_000 }, (_, i) => event(i + 1, `key-${i}`, { keyHash: keyHash(`key-${i}`) }));
    for (let i = 0; i < events.length; i += 500) await driver.fencedWrite({ streamId, shardletId: "s-all", epoch: 1, events: events.slice(i, i + 500) });
    for (const e of events) all.push({ seq: e.seq, hash: keyHash(e.key) });
  });
  afterAll(async () => {
    await driver?.close();
    await host?.drop();
  });

  /** `n` equal segments over the hash space, every other one already read up to `mid`. */
  const cut = (n: number, mid: number) =>
    Array.from({ length: n }, (_, i) => ({ lo: Math.floor((i * 2 ** 32) / n), hi: Math.floor(((i + 1) * 2 ** 32) / n), after: i % 2 === 0 ? 0 : mid }));
  const expected = (segments: ReturnType<typeof cut>, upTo: number) =>
    all.filter((e) => e.seq <= upTo && segments.some((s) => e.hash >= s.lo && e.hash < s.hi && e.seq > s.after)).map((e) => e.seq);

  for (const n of [1, 3, 40]) {
    it(`returns exactly the events past each of ${n} segment positions`, async () => {
      const segments = cut(n, 700);
      const r = await driver.readRanges({ streamId, segments, maxSeq: 10_000, limit: 5_000, scanLimit: 10_000, fenceIds: ["s-all", "unknown"] });
      expect(r.completeTo).toBe(10_000);
      expect(r.events.map((e) => e.seq)).toEqual(expected(segments, 10_000));
      expect(r.fences).toEqual([{ shardletId: "s-all", state: "active" }]);
    });
  }

  it("says how far it is complete when the page or the scan limit stops it", async () => {
    const segments = cut(4, 0).map((s, i) => ({ ...s, after: 0, hi: i === 0 ? s.hi : s.lo + 1 }));
    const page = await driver.readRanges({ streamId, segments, maxSeq: 10_000, limit: 50, scanLimit: 10_000, fenceIds: [] });
    expect(page.events).toHaveLength(50);
    expect(page.completeTo).toBe(page.events[49]!.seq);
    expect(page.events.map((e) => e.seq)).toEqual(expected(segments, page.completeTo));
    const scan = await driver.readRanges({ streamId, segments, maxSeq: 10_000, limit: 5_000, scanLimit: 300, fenceIds: [] });
    expect(scan.completeTo).toBe(300);
    expect(scan.events.map((e) => e.seq)).toEqual(expected(segments, 300));
  });
});
