import { listHosts, listOperations, saveMeasuredCapacity } from "@shardcast/db";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startHarness, type Harness } from "./harness.ts";

interface HostOut {
  host: { id: string; effectiveCapacityEventsPerSec: number; capacitySource: string; capacityOverrideEventsPerSec: number | null; measuredCapacityEventsPerSec: number | null };
}

describe("hosts.setCapacityOverride", () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ hosts: 1 });
  });
  afterAll(async () => {
    await h.close();
  });

  it("lists the configured, measured and effective figures, and lets an admin override and clear", async () => {
    const hostId = h.hostIds[0]!;
    await saveMeasuredCapacity(h.db, hostId, { eventsPerSec: 1200, reason: "latency rose past 20 ms" }, new Date());
    const admin = await h.sessionFor("admin");
    const list = await h.call<{ hosts: Array<HostOut["host"]> }>("query", "hosts.list", undefined, admin);
    expect(list.data!.hosts[0]).toMatchObject({ measuredCapacityEventsPerSec: 1200, effectiveCapacityEventsPerSec: 1200, capacitySource: "measured", capacityOverrideEventsPerSec: null });

    const set = await h.call<HostOut>("mutation", "hosts.setCapacityOverride", { hostId, eventsPerSec: 3000 }, admin);
    expect(set.status).toBe(200);
    expect(set.data!.host).toMatchObject({ effectiveCapacityEventsPerSec: 3000, capacitySource: "override", capacityOverrideEventsPerSec: 3000 });
    const cleared = await h.call<HostOut>("mutation", "hosts.setCapacityOverride", { hostId, eventsPerSec: null }, admin);
    expect(cleared.data!.host).toMatchObject({ effectiveCapacityEventsPerSec: 1200, capacitySource: "measured", capacityOverrideEventsPerSec: null });
    const ops = await listOperations(h.db, { limit: 10 });
    expect(ops.map((o) => o.message)).toContain("cleared the capacity override of host h1: planned on its measured figure, 1200 events/s");
  });

  it("is for admins only, and refuses bad input and unknown hosts with a 4xx", async () => {
    const hostId = h.hostIds[0]!;
    const operator = await h.sessionFor("operator");
    expect((await h.call("mutation", "hosts.setCapacityOverride", { hostId, eventsPerSec: 10 }, operator)).status).toBe(403);
    const admin = await h.sessionFor("admin");
    const zero = await h.call("mutation", "hosts.setCapacityOverride", { hostId, eventsPerSec: 0 }, admin);
    expect(zero.status).toBe(400);
    expect(zero.error?.message).toMatch(/capacity must be positive/);
    expect((await h.call("mutation", "hosts.setCapacityOverride", { hostId, eventsPerSec: 1.5 }, admin)).status).toBe(400);
    expect((await h.call("mutation", "hosts.setCapacityOverride", { hostId: "nope", eventsPerSec: 10 }, admin)).status).toBe(404);
    expect((await listHosts(h.db))[0]!.capacityOverrideEventsPerSec).toBeNull();
  });
});
