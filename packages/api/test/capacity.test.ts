import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseCapacitySettings, planCapacity, type CapacityPlan } from "@shardcast/core";
import { getCapacitySettings, listHosts, recordAnalyzerRun, replaceAnalyzerProposals, type StoredCapacityPlan } from "@shardcast/db";
import { startHarness, type Harness } from "./harness.ts";

interface PlanOut {
  run: { id: string; at: Date } | null;
  latestRunAt: Date | null;
  plan: (Omit<CapacityPlan, "drain"> & { drain: (NonNullable<CapacityPlan["drain"]> & { hostName: string }) | null; untrusted: string | null; hosts: Array<{ name: string }> }) | null;
  settings: { mode: string; minHosts: number; maxHosts: number };
}
interface Proposal {
  id: string;
  kind: string;
  status: string;
  sourceHostName: string | null;
  reason: string;
  plan: Record<string, unknown> | null;
}

const STEP = 60_000;

describe("capacity console api", () => {
  let h: Harness;
  let viewer: string;
  let operator: string;
  let admin: string;

  /** A plan as the analyzer makes one: 3 hosts, a forecast that falls into a long trough. */
  function storedPlan(nowMs: number, hostIds: string[]): StoredCapacityPlan {
    const settings = parseCapacitySettings({ minHosts: 1, provisionSec: 60, marginSec: 0, minScaleInSavingSec: 60, minHostLifetimeSec: 0 });
    const hosts = hostIds.map((id, i) => ({ id, status: "active" as const, capacityEventsPerSec: 1000, sizeBytes: (i + 1) * 1024 * 1024 }));
    const plan = planCapacity({ nowMs, stepMs: STEP, forecast: new Array<number>(60).fill(200), observed: 200, hosts, settings });
    return {
      ...plan,
      stepMs: STEP,
      observed: 200,
      untrusted: null,
      mode: "forecast_only",
      model: "selection (default)",
      hosts: hosts.map((x, i) => ({ ...x, name: `h${i + 1}`, addedAtMs: null })),
    };
  }

  async function jobs(): Promise<Array<{ name: string; data: Record<string, unknown> }>> {
    const list = await h.queue.getJobs(["waiting", "delayed", "prioritized"]);
    return list.map((j) => ({ name: j.name, data: { ...j.data } }));
  }

  beforeAll(async () => {
    h = await startHarness({ hosts: 3 });
    [viewer, operator, admin] = await Promise.all([h.sessionFor("viewer"), h.sessionFor("operator"), h.sessionFor("admin")]);
  });
  afterAll(async () => {
    await h.close();
  });

  it("says there is no plan before the first analyzer run, with the default settings", async () => {
    const res = await h.call<PlanOut>("query", "capacity.plan", undefined, viewer);
    expect(res.status).toBe(200);
    expect(res.data).toMatchObject({ run: null, latestRunAt: null, plan: null, settings: { mode: "forecast_only", minHosts: 1 } });
    expect((await h.call("query", "capacity.plan", undefined, null)).status).toBe(401);
  });

  it("shows the latest run's plan with its drain host named, and not a newer run of one stream", async () => {
    const now = Date.now();
    const stored = storedPlan(now, h.hostIds);
    expect(stored.drain, "the fixture plans a drain").not.toBeNull();
    const run = await recordAnalyzerRun(h.db, { at: new Date(now), horizonSec: 3600, bucketSec: 60, modelVersionId: null, ranking: [], forecastStartMs: now, forecasts: [], capacityPlan: stored });
    // A later run of one stream plans no capacity: the plan stays the one above.
    await recordAnalyzerRun(h.db, { at: new Date(now + 1000), horizonSec: 3600, bucketSec: 60, modelVersionId: null, ranking: [], forecastStartMs: now, forecasts: [] });

    const res = await h.call<PlanOut>("query", "capacity.plan", undefined, viewer);
    expect(res.status).toBe(200);
    const out = res.data!;
    expect(out.run?.id).toBe(run.id);
    expect(out.latestRunAt!.getTime()).toBe(now + 1000);
    expect(out.plan!.timeline).toHaveLength(60);
    expect(out.plan!.timeline[0]).toEqual(stored.timeline[0]);
    expect(out.plan!.hostsNow).toBe(3);
    expect(out.plan!.add).toBeNull();
    // The smallest host (h1) is drained: named for the console, with the planner's reason.
    expect(out.plan!.drain).toMatchObject({ hostId: h.hostIds[0], hostName: "h1", reason: stored.drain!.reason, savingSec: stored.drain!.savingSec });
    expect(out.plan!.hosts.map((x) => x.name)).toEqual(["h1", "h2", "h3"]);
  });

  it("lets admins change the capacity settings, audited; min above max is refused on maxHosts and nothing is stored", async () => {
    const before = await h.db.settingAudit.count({ where: { key: "capacity" } });
    const defaults = parseCapacitySettings({});

    const denied = await h.call("mutation", "capacity.updateSettings", { ...defaults, minHosts: 2 }, operator);
    expect(denied.status).toBe(403);

    const invalid = await h.call("mutation", "capacity.updateSettings", { ...defaults, minHosts: 5, maxHosts: 3 }, admin);
    expect(invalid.status).toBe(400);
    expect(invalid.error?.data.details?.rejected?.[0]).toMatchObject({ path: "maxHosts" });
    expect(invalid.error?.message).toContain("maximum hosts must be at least the minimum");
    const wrongType = await h.call("mutation", "capacity.updateSettings", { ...defaults, mode: "yolo" }, admin);
    expect(wrongType.status).toBe(400);
    expect(wrongType.error?.data.details?.rejected?.[0]).toMatchObject({ path: "mode" });
    expect(await h.db.settingAudit.count({ where: { key: "capacity" } })).toBe(before);
    expect(await getCapacitySettings(h.db)).toEqual(defaults);

    const ok = await h.call<{ changed: string[] }>("mutation", "capacity.updateSettings", { ...defaults, minHosts: 2, maxHosts: 8, mode: "act" }, admin);
    expect(ok.status).toBe(200);
    expect(ok.data!.changed.sort()).toEqual(["maxHosts", "minHosts", "mode"]);
    // The worker's read sees the same value.
    expect(await getCapacitySettings(h.db)).toMatchObject({ minHosts: 2, maxHosts: 8, mode: "act" });

    const got = await h.call<{ settings: { minHosts: number }; defaults: { minHosts: number }; updatedAt: Date | null; audit: Array<{ actorEmail: string; changes: Array<{ field: string }> }> }>(
      "query",
      "capacity.settings",
      undefined,
      viewer,
    );
    expect(got.data!.settings.minHosts).toBe(2);
    expect(got.data!.defaults.minHosts).toBe(1);
    expect(got.data!.updatedAt).not.toBeNull();
    expect(got.data!.audit[0]!.changes.map((c) => c.field).sort()).toEqual(["maxHosts", "minHosts", "mode"]);
    expect(got.data!.audit[0]!.actorEmail).toMatch(/^admin-/);
    expect(await h.db.settingAudit.count({ where: { key: "capacity" } })).toBe(before + 1);
    const ops = await h.db.operation.findMany({ where: { kind: "settings.update" } });
    expect(ops.some((o) => o.message.includes("changed capacity settings") && o.message.includes("minHosts 1 -> 2"))).toBe(true);
  });

  it("shows add_host and drain_host proposals with their plan figures", async () => {
    const now = Date.now();
    const run = await recordAnalyzerRun(h.db, { at: new Date(now), horizonSec: 3600, bucketSec: 60, modelVersionId: null, ranking: [], forecastStartMs: now, forecasts: [] });
    await replaceAnalyzerProposals(
      h.db,
      run.id,
      [
        {
          kind: "add_host",
          urgencySec: 900,
          reason: "forecast load in 15 min reaches 2.4k/s",
          details: { count: 1, needByMs: now + 900_000, startByMs: now + 300_000, leadSec: 600, fillBytes: 1024, late: false, peak: 2400, observed: 800, hostsNow: 3, hostCapacity: 1000, untrusted: null },
        },
        {
          kind: "drain_host",
          sourceHostId: h.hostIds[2]!,
          reason: "forecast load stays low for 6 h",
          details: { hostId: h.hostIds[2]!, bytes: 4096, drainSec: 40, troughEndsMs: now + 6 * 3_600_000, savingSec: 20_000, observed: 100, hostsNow: 3 },
        },
      ],
      { streamIds: null },
    );
    const list = (await h.call<{ proposals: Proposal[] }>("query", "analyzer.proposals", {}, viewer)).data!.proposals;
    const add = list.find((p) => p.kind === "add_host")!;
    const drain = list.find((p) => p.kind === "drain_host")!;
    expect(add.plan).toEqual({ kind: "add_host", count: 1, needByMs: now + 900_000, startByMs: now + 300_000, leadSec: 600, fillBytes: 1024, late: false, peak: 2400 });
    expect(drain.plan).toEqual({ kind: "drain_host", hostId: h.hostIds[2], bytes: 4096, drainSec: 40, troughEndsMs: now + 6 * 3_600_000, savingSec: 20_000 });
    expect(drain.sourceHostName).toBe("h3");
    const onlyDrains = (await h.call<{ proposals: Proposal[] }>("query", "analyzer.proposals", { kind: "drain_host" }, viewer)).data!.proposals;
    expect(onlyDrains.map((p) => p.id)).toEqual([drain.id]);
  });

  it("approves a drain for operators only: the host drains, the rebalancer is asked to plan, once", async () => {
    const [drain] = (await h.call<{ proposals: Proposal[] }>("query", "analyzer.proposals", { kind: "drain_host" }, viewer)).data!.proposals;
    const asViewer = await h.call("mutation", "analyzer.approveDrainHost", { proposalId: drain!.id }, viewer);
    expect(asViewer.status).toBe(403);
    expect((await listHosts(h.db)).find((x) => x.id === h.hostIds[2])!.status).toBe("active");
    // applyProposal is for splits and moves: a drain goes through its own approval.
    const wrong = await h.call("mutation", "analyzer.applyProposal", { proposalId: drain!.id }, operator);
    expect(wrong.status).toBe(400);
    expect(wrong.error?.message).toContain("approveDrainHost");
    const [add] = (await h.call<{ proposals: Proposal[] }>("query", "analyzer.proposals", { kind: "add_host" }, viewer)).data!.proposals;
    expect((await h.call("mutation", "analyzer.approveDrainHost", { proposalId: add!.id }, operator)).status).toBe(400);

    const res = await h.call<{ proposal: Proposal; hostId: string; message: string }>("mutation", "analyzer.approveDrainHost", { proposalId: drain!.id }, operator);
    expect(res.status).toBe(200);
    expect(res.data!.proposal.status).toBe("applied");
    expect(res.data!.hostId).toBe(h.hostIds[2]);
    expect(res.data!.message).toContain("h3 is draining");
    expect((await listHosts(h.db)).find((x) => x.id === h.hostIds[2])!.status).toBe("draining");
    expect((await jobs()).filter((j) => j.name === "rebalance.plan")).toHaveLength(1);
    const ops = await h.db.operation.findMany({ where: { kind: "analyzer.drain_host" } });
    expect(ops).toHaveLength(1);
    expect(ops[0]!.hostId).toBe(h.hostIds[2]);

    const again = await h.call("mutation", "analyzer.approveDrainHost", { proposalId: drain!.id }, operator);
    expect(again.status).toBe(409);
  });
});
