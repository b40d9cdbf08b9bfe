import { describe, expect, it } from "vitest";
import {
  checkWindow,
  copyEtaSeconds,
  copyOverrun,
  CopyPacer,
  HASH_SPACE,
  MIGRATION_SETTINGS_DEFAULTS,
  migrationSettingsSchema,
  parseMigrationSettings,
  RoutingTable,
  smoothRate,
  type ShardletRoute,
} from "../src/index.ts";

describe("migration settings", () => {
  it("fills every field with its default", () => {
    expect(parseMigrationSettings(undefined)).toEqual(MIGRATION_SETTINGS_DEFAULTS);
    expect(MIGRATION_SETTINGS_DEFAULTS).toMatchObject({ chunkRows: 2_000, rowsPerSecond: 20_000, verifyRangeRows: 10_000, cleanupGraceMs: 30_000 });
    expect(parseMigrationSettings({ rowsPerSecond: 0 }).rowsPerSecond).toBe(0);
  });

  it("rejects values out of range with a message naming the rule", () => {
    const r = migrationSettingsSchema.safeParse({ chunkRows: 10, rowsPerSecond: -5, verifyRangeRows: 2.5 });
    expect(r.success).toBe(false);
    const paths = r.error!.issues.map((i) => i.path.join("."));
    expect(paths).toEqual(expect.arrayContaining(["chunkRows", "rowsPerSecond", "verifyRangeRows"]));
    expect(r.error!.issues.find((i) => i.path[0] === "chunkRows")?.message).toBe("copy chunks must hold at least 100 rows");
  });
});

describe("the copy window", () => {
  it("is open without bounds, before its start, and over at its end", () => {
    expect(checkWindow(1_000, { start: null, end: null })).toEqual({ state: "open" });
    expect(checkWindow(1_000, { start: 2_000, end: 3_000 })).toEqual({ state: "before", opensAt: 2_000 });
    expect(checkWindow(2_000, { start: 2_000, end: 3_000 })).toEqual({ state: "open" });
    expect(checkWindow(3_000, { start: 2_000, end: 3_000 })).toEqual({ state: "over", closedAt: 3_000 });
    expect(checkWindow(5_000, { start: null, end: 3_000 })).toEqual({ state: "over", closedAt: 3_000 });
  });
});

describe("the copy pacer", () => {
  it("keeps the average rate at the budget", () => {
    const p = new CopyPacer(1_000, 0);
    // 500 rows after 100 ms: due at 500 ms, so wait 400 ms.
    expect(p.add(500, 100)).toBe(400);
    // Another 500 at 600 ms: due at 1,000 ms.
    expect(p.add(500, 600)).toBe(400);
    // Late (slow host): no wait.
    expect(p.add(100, 5_000)).toBe(0);
  });

  it("never waits with an unlimited budget", () => {
    expect(new CopyPacer(0, 0).add(1_000_000, 1)).toBe(0);
  });

  it("smooths the rate and estimates what is left", () => {
    expect(smoothRate(0, 1_000)).toBe(1_000);
    expect(smoothRate(1_000, 2_000, 0.5)).toBe(1_500);
    expect(smoothRate(1_000, Number.NaN)).toBe(1_000);
    expect(copyEtaSeconds(10_000, 4_000, 1_000)).toBe(6);
    expect(copyEtaSeconds(10_000, 4_000, 0)).toBeNull();
  });
});

describe("routes of a migrating shardlet", () => {
  const routes = (shadow: string | null): ShardletRoute[] => [
    { id: "a", streamId: "s", shardId: "x", lo: 0, hi: HASH_SPACE / 2, hostId: "h1", epoch: 2, state: "active", shadowHostId: shadow },
    { id: "b", streamId: "s", shardId: "x", lo: HASH_SPACE / 2, hi: HASH_SPACE, hostId: "h2", epoch: 1, state: "active" },
  ];

  it("carry the shadow host, and every route object has the same fields", () => {
    const t = RoutingTable.build("s", routes("h2"));
    expect(t.lookup(5).shadowHostId).toBe("h2");
    expect(t.lookup(HASH_SPACE - 1)).toHaveProperty("shadowHostId", null);
    expect(Object.keys(t.lookup(5))).toEqual(Object.keys(t.lookup(HASH_SPACE - 1)));
  });

  it("change the table's version when the shadow host comes or goes", () => {
    const without = RoutingTable.build("s", routes(null)).version;
    expect(RoutingTable.build("s", routes("h2")).version).not.toBe(without);
    expect(RoutingTable.build("s", routes(null)).version).toBe(without);
  });
});

describe("a copy against its window's close", () => {
  const q = { now: 1_000_000, rowsTotal: 10_000, rowsCopied: 2_000 };
  it("overruns when the rows left at the measured rate need longer than the window has left", () => {
    // 8,000 rows at 100 rows/s: 80 s, with 60 s left.
    expect(copyOverrun({ ...q, windowEnd: q.now + 60_000, rowsPerSecond: 100 })).toEqual({ etaSec: 80, leftSec: 60 });
    expect(copyOverrun({ ...q, windowEnd: q.now + 90_000, rowsPerSecond: 100 })).toBeNull();
  });
  it("cannot tell without an end or a rate", () => {
    expect(copyOverrun({ ...q, windowEnd: null, rowsPerSecond: 100 })).toBeNull();
    expect(copyOverrun({ ...q, windowEnd: q.now + 1_000, rowsPerSecond: 0 })).toBeNull();
  });
});
