import { describe, expect, it } from "vitest";
import { parseAnalyzerSettings } from "@shardcast/core";
import { getAnalyzerProposal, pendingHostProvisions, replaceAnalyzerProposals, type ShardletInfo } from "@shardcast/db";
import { createQueue } from "@shardcast/jobs";
import { createRedis } from "@shardcast/runtime";
import { useAnalyzerConsole, type AnalyzerConsole, type Proposal } from "./analyzer-harness.ts";
import { REDIS_URL, type Harness } from "./harness.ts";

/**
 * What the console does with the analyzer: who may act, applying, approving and dismissing its
 * proposals (and a newer run superseding them), a stream's predictive mode, a run on request, its settings.
 */
describe("analyzer and heatmap console api", () => {
  let h: Harness;
  let viewer: string;
  let operator: string;
  let admin: string;
  let streamId: string;
  let shardlets: ShardletInfo[];
  let runId: string;
  let jobs: AnalyzerConsole["jobs"];
  let storeRun: AnalyzerConsole["storeRun"];

  useAnalyzerConsole((c) => ({ h, viewer, operator, admin, streamId, shardlets, runId, jobs, storeRun } = c));

  it("keeps viewers from acting and operators from changing settings", async () => {
    const [split] = (await h.call<{ proposals: Proposal[] }>("query", "analyzer.proposals", { kind: "split" }, viewer)).data!.proposals;
    for (const [path, input] of [
      ["analyzer.applyProposal", { proposalId: split!.id }],
      ["analyzer.dismiss", { proposalId: split!.id }],
      ["analyzer.approveAddHost", { proposalId: split!.id }],
      ["analyzer.runNow", {}],
      ["analyzer.setMode", { streamId, mode: "act" }],
    ] as const) {
      expect((await h.call("mutation", path, input, viewer)).status).toBe(403);
    }
    expect((await h.call("mutation", "analyzer.updateSettings", parseAnalyzerSettings({}), operator)).status).toBe(403);
    expect(await jobs()).toEqual([]);
  });

  it("applies a split proposal by queueing the split, once", async () => {
    const [split] = (await h.call<{ proposals: Proposal[] }>("query", "analyzer.proposals", { kind: "split" }, viewer)).data!.proposals;
    const res = await h.call<{ proposal: Proposal; jobId: string }>("mutation", "analyzer.applyProposal", { proposalId: split!.id }, operator);
    expect(res.status).toBe(200);
    expect(res.data!.proposal.status).toBe("applied");
    expect(res.data!.proposal.decidedBy).toMatch(/^operator-/);
    const queued = await jobs();
    expect(queued).toHaveLength(1);
    expect(queued[0]!.name).toBe("shardlet.split");
    expect(queued[0]!.data.shardletId).toBe(shardlets[3]!.id);
    expect(String(queued[0]!.data.reason)).toMatch(/^predicted overload in 40 s \(applied by operator-/);
    const again = await h.call("mutation", "analyzer.applyProposal", { proposalId: split!.id }, operator);
    expect(again.status).toBe(409);
    expect(again.error?.message).toMatch(/already applied/);
    const ops = await h.db.operation.findMany({ where: { kind: "analyzer.split" } });
    expect(ops).toHaveLength(1);
  });

  it("applies a migrate proposal as an approved migration from the analyzer", async () => {
    const [move] = (await h.call<{ proposals: Proposal[] }>("query", "analyzer.proposals", { kind: "migrate" }, viewer)).data!.proposals;
    const res = await h.call<{ proposal: Proposal; migrationId: string }>("mutation", "analyzer.applyProposal", { proposalId: move!.id }, operator);
    expect(res.status).toBe(200);
    const m = await h.db.migration.findUnique({ where: { id: res.data!.migrationId } });
    expect(m).toMatchObject({ origin: "analyzer", phase: "approved", shardletId: shardlets[0]!.id, urgencySec: 90 });
    expect(m!.proposedBy).toMatch(/^operator-/);
    expect(res.data!.proposal.migrationId).toBe(m!.id);
  });

  it("approves adding a host by queueing its provisioning; refuses other kinds", async () => {
    const [add] = (await h.call<{ proposals: Proposal[] }>("query", "analyzer.proposals", { kind: "add_host" }, viewer)).data!.proposals;
    const wrong = await h.call("mutation", "analyzer.applyProposal", { proposalId: add!.id }, operator);
    expect(wrong.status).toBe(400);
    const res = await h.call<{ proposal: Proposal; jobId: string }>("mutation", "analyzer.approveAddHost", { proposalId: add!.id }, operator);
    expect(res.status).toBe(200);
    expect(res.data!.proposal.status).toBe("applied");
    const job = (await jobs()).find((j) => j.name === "host.provision")!;
    expect(job.data).toMatchObject({ proposalId: add!.id });
    const stored = (await h.call<{ proposals: Proposal[] }>("query", "analyzer.proposals", { kind: "add_host", status: "decided" }, viewer)).data!.proposals[0]!;
    expect(stored.provision).toMatchObject({ status: "queued" });
  });

  it("opens an add-host proposal again when its provisioning job cannot be queued, so approving again is the retry", async () => {
    await replaceAnalyzerProposals(h.db, runId, [{ kind: "add_host", urgencySec: 0, reason: "short of capacity", details: { capacity: 10000 } }], { streamIds: null });
    const [add] = (await h.call<{ proposals: Proposal[] }>("query", "analyzer.proposals", { kind: "add_host" }, viewer)).data!.proposals;
    const before = (await jobs()).length;
    const pendingBefore = (await pendingHostProvisions(h.db, new Date(0))).map((p) => p.id);
    // A real queue whose Redis connection is gone: the add fails as it does when Redis is down.
    const gone = createRedis(REDIS_URL, { forBullmq: true });
    const deadQueue = createQueue(gone, { prefix: `${h.prefix}-gone` });
    await deadQueue.waitUntilReady();
    gone.disconnect();
    try {
      const res = await h.call("mutation", "analyzer.approveAddHost", { proposalId: add!.id }, operator, { queue: deadQueue });
      expect(res.status).toBe(503);
      expect(res.error?.message).toMatch(/could not be queued .*open again: approve it again/);
    } finally {
      await deadQueue.close().catch(() => undefined);
    }
    const open = (await h.call<{ proposals: Proposal[] }>("query", "analyzer.proposals", { kind: "add_host" }, viewer)).data!.proposals;
    expect(open.map((p) => p.id)).toContain(add!.id);
    expect((await pendingHostProvisions(h.db, new Date(0))).map((p) => p.id)).toEqual(pendingBefore);
    expect(await jobs()).toHaveLength(before);

    const res = await h.call<{ proposal: Proposal; jobId: string }>("mutation", "analyzer.approveAddHost", { proposalId: add!.id }, operator);
    expect(res.status).toBe(200);
    const job = (await jobs()).find((j) => j.name === "host.provision" && j.data.proposalId === add!.id)!;
    const approved = await getAnalyzerProposal(h.db, add!.id);
    expect(job.data).toMatchObject({ approvedAt: approved!.decidedAt!.toISOString() });
    expect((await pendingHostProvisions(h.db, new Date(0))).map((p) => p.id)).toEqual([...pendingBefore, add!.id]);
  });

  it("dismisses, and a newer run supersedes what is left open", async () => {
    await replaceAnalyzerProposals(h.db, runId, [{ kind: "split", streamId, shardletId: shardlets[1]!.id, urgencySec: 5, reason: "r" }], { streamIds: null });
    const [open] = (await h.call<{ proposals: Proposal[] }>("query", "analyzer.proposals", {}, viewer)).data!.proposals;
    const res = await h.call<{ proposal: Proposal }>("mutation", "analyzer.dismiss", { proposalId: open!.id }, operator);
    expect(res.data!.proposal.status).toBe("dismissed");
    await replaceAnalyzerProposals(h.db, runId, [{ kind: "split", streamId, shardletId: shardlets[2]!.id, urgencySec: 5, reason: "r" }], { streamIds: null });
    const newer = await storeRun(Date.now());
    const replaced = await replaceAnalyzerProposals(h.db, newer, [], { streamIds: null });
    expect(replaced.superseded).toBe(1);
    const all = (await h.call<{ proposals: Proposal[] }>("query", "analyzer.proposals", { status: "all" }, viewer)).data!.proposals;
    expect(all.filter((p) => p.status === "superseded").map((p) => p.shardletId)).toEqual([shardlets[2]!.id]);
    const late = await h.call("mutation", "analyzer.applyProposal", { proposalId: all.find((p) => p.status === "superseded")!.id }, operator);
    expect(late.status).toBe(409);
    expect(late.error?.message).toMatch(/replaced by a newer analyzer run/);
  });

  it("sets a stream's predictive mode and queues a run on request", async () => {
    const set = await h.call<{ mode: string; changed: boolean }>("mutation", "analyzer.setMode", { streamId, mode: "act" }, operator);
    expect(set.data).toEqual({ streamId, mode: "act", changed: true });
    const modes = await h.call<{ streams: Array<{ id: string; mode: string }> }>("query", "analyzer.modes", undefined, viewer);
    expect(modes.data!.streams.find((s) => s.id === streamId)!.mode).toBe("act");
    const bad = await h.call("mutation", "analyzer.setMode", { streamId, mode: "yolo" }, operator);
    expect(bad.status).toBe(400);
    expect(bad.error?.message).toContain("mode must be forecast_only or act");
    expect((await h.call("mutation", "analyzer.setMode", { streamId: "missing", mode: "act" }, operator)).status).toBe(404);

    const run = await h.call<{ jobId: string }>("mutation", "analyzer.runNow", {}, operator);
    expect(run.status).toBe(200);
    const job = (await jobs()).find((j) => j.id === run.data!.jobId)!;
    expect(job).toMatchObject({ name: "analyzer.run", data: { trigger: "manual" } });
    const status = await h.call<{ state: string }>("query", "analyzer.runStatus", { jobId: run.data!.jobId }, viewer);
    expect(status.data!.state).toBe("waiting");
  });

  it("lets admins change the analyzer settings, audited, and rejects invalid ones whole", async () => {
    const before = await h.db.settingAudit.count({ where: { key: "analyzer" } });
    const invalid = await h.call("mutation", "analyzer.updateSettings", { ...parseAnalyzerSettings({}), horizonSec: 305 }, admin);
    expect(invalid.status).toBe(400);
    expect(invalid.error?.data.details?.rejected?.[0]).toMatchObject({ path: "horizonSec" });
    expect(await h.db.settingAudit.count({ where: { key: "analyzer" } })).toBe(before);
    const ok = await h.call<{ changed: string[] }>("mutation", "analyzer.updateSettings", { ...parseAnalyzerSettings({}), horizonSec: 7_200, overloadFraction: 0.8 }, admin);
    expect(ok.status).toBe(200);
    expect(ok.data!.changed.sort()).toEqual(["horizonSec", "overloadFraction"]);
    const got = await h.call<{ analyzer: { horizonSec: number }; updatedAt: Date | null }>("query", "analyzer.settings", undefined, viewer);
    expect(got.data!.analyzer.horizonSec).toBe(7_200);
    expect(got.data!.updatedAt).not.toBeNull();
    expect(await h.db.settingAudit.count({ where: { key: "analyzer" } })).toBe(before + 1);
  });
});
