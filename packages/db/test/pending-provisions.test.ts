import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { addAnalyzerProposalDetails, markAnalyzerProposalApplied, recordAnalyzerRun, replaceAnalyzerProposals, type ControlDb } from "../src/index.ts";
import { pendingHostProvisions } from "../src/capacity/proposals.ts";
import { createTestControlDb } from "../src/testing.ts";

/**
 * The hosts the capacity planner counts as on their way: an add_host provisioning that succeeded
 * without naming a host (a hook that registers the host itself, later) is one of them until a host
 * registers, or the planner would order another host at every run meanwhile.
 */
describe("pending host provisions", () => {
  let control: Awaited<ReturnType<typeof createTestControlDb>>;
  let db: ControlDb;
  beforeAll(async () => {
    control = await createTestControlDb();
    db = control.db;
  });
  afterAll(async () => {
    await control?.drop();
  });

  async function approvedAddHost(provision: Record<string, unknown> | null): Promise<string> {
    const now = Date.now();
    const run = await recordAnalyzerRun(db, { at: new Date(now), horizonSec: 3600, bucketSec: 60, modelVersionId: null, ranking: [], forecastStartMs: now, forecasts: [] });
    await replaceAnalyzerProposals(db, run.id, [{ kind: "add_host", urgencySec: 600, reason: "test", details: { count: 1 } }], { streamIds: null });
    const p = await db.analyzerProposal.findFirstOrThrow({ where: { runId: run.id } });
    await markAnalyzerProposalApplied(db, p.id, { actor: null });
    if (provision) await addAnalyzerProposalDetails(db, p.id, { provision });
    return p.id;
  }

  it("counts a provisioning that succeeded without a host until a host registers after it", async () => {
    const since = new Date(Date.now() - 60_000);
    const queued = await approvedAddHost({ status: "queued" });
    const failed = await approvedAddHost({ status: "failed" });
    const hookOnly = await approvedAddHost({ status: "succeeded", hostId: null });
    const pending = async () => (await pendingHostProvisions(db, since)).map((p) => p.id).sort();
    // A failed one is not on its way.
    expect(await pending()).toEqual([queued, hookOnly].sort());
    expect(await pending()).not.toContain(failed);

    // The hook's host registers: the provisioning is done.
    await db.host.create({ data: { name: "hooked", dsn: "postgres://u@127.0.0.1:1/hooked", capacityBytes: 1n << 30n, capacityEventsPerSec: 1000 } });
    expect(await pending()).toEqual([queued]);
  });
});
