import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { declarePeriodicJobs, recordPeriodicRun } from "@shardcast/db";
import { overduePeriodicJobs, roughDuration } from "../src/services/periodic-jobs.ts";
import { startHarness, type Harness } from "./harness.ts";

describe("overdue periodic jobs", () => {
  const now = Date.parse("2026-06-01T12:00:00Z");
  const job = (name: string, everyMs: number, lastAgoMs: number | null, declaredAgoMs = 3_600_000) => ({
    name,
    everyMs,
    declaredAt: new Date(now - declaredAgoMs),
    lastCompletedAt: lastAgoMs === null ? null : new Date(now - lastAgoMs),
  });

  it("counts three periods plus a minute from the last run, or from the declaration when it never ran", () => {
    const overdue = overduePeriodicJobs(
      [
        job("host.health", 10_000, 89_000), // within 3 x 10 s + 60 s
        job("shardlet.accounting", 5_000, 76_000), // past 3 x 5 s + 60 s
        job("analyzer.run", 30_000, null, 120_000), // never ran, declared within 3 x 30 s + 60 s
        job("rebalance.plan", 30_000, null, 151_000),
      ],
      now,
    );
    expect(overdue.map((o) => [o.name, o.lastRanAt === null, roughDuration(o.silentMs)])).toEqual([
      ["rebalance.plan", true, "2 min"],
      ["shardlet.accounting", false, "1 min"],
    ]);
  });
});

describe("the console overview", () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ hosts: 1 });
  });
  afterAll(async () => {
    await h?.close();
  });

  it("alerts when a periodic job has not run for too long, naming it and when it last ran", async () => {
    const viewer = await h.sessionFor("viewer");
    const alerts = async () =>
      (await h.call<{ alerts: Array<{ level: string; message: string }> }>("query", "overview.summary", undefined, viewer)).data!.alerts.map((a) => a.message);
    const hourAgo = new Date(Date.now() - 3_600_000);
    await declarePeriodicJobs(h.db, [{ name: "host.health", everyMs: 10_000 }, { name: "housekeeping", everyMs: 600_000 }], hourAgo);
    await recordPeriodicRun(h.db, "host.health", new Date(Date.now() - 20 * 60_000));
    await recordPeriodicRun(h.db, "housekeeping", new Date(Date.now() - 20 * 60_000));
    const overdue = (await alerts()).filter((m) => m.startsWith("Periodic job"));
    expect(overdue).toEqual(["Periodic job host.health last ran 20 min ago (it runs every 10 s): is a worker running?"]);

    await recordPeriodicRun(h.db, "host.health", new Date());
    expect((await alerts()).filter((m) => m.startsWith("Periodic job"))).toEqual([]);
  });
});
