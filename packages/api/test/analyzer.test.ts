import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { forecastStartMs, parseAnalyzerSettings } from "@shardcast/core";
import { createStream, listShardlets, recordAnalyzerRun, replaceAnalyzerProposals, replacePlannerNotes, type ShardletInfo } from "@shardcast/db";
import { startHarness, type Harness } from "./harness.ts";

interface Proposal {
  id: string;
  kind: string;
  status: string;
  shardletId: string | null;
  streamName: string | null;
  sourceHostName: string | null;
  destHostName: string | null;
  urgencySec: number | null;
  range: { loHex: string } | null;
  migrationId: string | null;
  provision: Record<string, unknown> | null;
  decidedBy: string | null;
}
interface Cells {
  bucketSec: number;
  boundaryMs: number;
  times: number[];
  kinds: string[];
  threshold: number;
  maxValue: number;
  run: { id: string; model: string } | null;
  rows: Array<{ shardletId: string; hostName: string; streamName: string; values: Array<number | null>; predictedPeak: number | null; proposal: string | null }>;
  totalRows: number;
}
interface Detail {
  shardlet: { id: string; streamName: string };
  boundaryMs: number;
  points: Array<{ t: number; actual: number | null; forecast: number | null; pastForecast: number | null }>;
  proposals: Proposal[];
  ranking: { predictedPeak: number } | null;
}

const STEP = 10_000;

describe("analyzer and heatmap console api", () => {
  let h: Harness;
  let viewer: string;
  let operator: string;
  let admin: string;
  let streamId: string;
  let shardlets: ShardletInfo[];
  let base: number;
  let runId: string;

  async function jobs(): Promise<Array<{ id: string | undefined; name: string; data: Record<string, unknown> }>> {
    const list = await h.queue.getJobs(["waiting", "delayed", "prioritized"]);
    return list.map((j) => ({ id: j.id, name: j.name, data: { ...j.data } }));
  }

  /** A run as the worker stores it: 12 forecast steps from `base`, shardlet i forecast at 100 x (i + 1) events/s. */
  async function storeRun(at: number): Promise<string> {
    const run = await recordAnalyzerRun(h.db, {
      at: new Date(at),
      horizonSec: 120,
      bucketSec: 10,
      modelVersionId: null,
      ranking: shardlets.map((s, i) => ({ shardletId: s.id, predictedPeak: 100 * (i + 1), threshold: 4500, overloadInSec: null, score: (100 * (i + 1)) / 4500 })),
      forecastStartMs: base,
      forecasts: shardlets.map((s, i) => ({ shardletId: s.id, streamId, values: new Array<number>(12).fill(100 * (i + 1)) })),
    });
    return run.id;
  }

  beforeAll(async () => {
    h = await startHarness({ hosts: 2 });
    [viewer, operator, admin] = await Promise.all([h.sessionFor("viewer"), h.sessionFor("operator"), h.sessionFor("admin")]);
    const stream = await createStream(h.db, h.hosts, { name: "heat", shardCount: 1, shardletsPerShard: 4 });
    streamId = stream.id;
    shardlets = await listShardlets(h.db, { streamId });
    const now = Date.now();
    base = forecastStartMs(now, parseAnalyzerSettings({}));
    // 30 actual steps before the forecast start: shardlet i writes 10 x (i + 1) events/s.
    await h.db.telemetryBucket.createMany({
      data: shardlets.flatMap((s, i) =>
        Array.from({ length: 30 }, (_, k) => ({
          resolution: 10,
          bucketStart: new Date(base - (30 - k) * STEP),
          shardletId: s.id,
          streamId,
          writes: BigInt(100 * (i + 1)),
        })),
      ),
    });
    // An earlier run that forecast the past 10 steps at 7 events/s for the first shardlet.
    await recordAnalyzerRun(h.db, {
      at: new Date(base - 11 * STEP),
      horizonSec: 120,
      bucketSec: 10,
      modelVersionId: null,
      ranking: [],
      forecastStartMs: base - 10 * STEP,
      forecasts: [{ shardletId: shardlets[0]!.id, streamId, values: new Array<number>(12).fill(7) }],
    });
    runId = await storeRun(now);
    await replaceAnalyzerProposals(
      h.db,
      runId,
      [
        { kind: "split", streamId, shardletId: shardlets[3]!.id, sourceHostId: shardlets[3]!.hostId, urgencySec: 40, expectedBenefit: 400, reason: "forecast write rate reaches 4.5k events/s in 40 s", details: { predictedPeak: 400 } },
        {
          kind: "migrate",
          streamId,
          shardletId: shardlets[0]!.id,
          sourceHostId: shardlets[0]!.hostId,
          destHostId: h.hostIds.find((x) => x !== shardlets[0]!.hostId)!,
          urgencySec: 90,
          expectedBenefit: 100,
          reason: "host predicted above its bound",
          details: { bytesToMove: 0, expectedLoad: {}, feasibility: { headroom: { ok: true, detail: "fits" } }, shardletEpoch: shardlets[0]!.epoch },
        },
        { kind: "add_host", urgencySec: 0, reason: "forecast cluster write rate passes 85% of capacity", details: { capacity: 10000 } },
      ],
      { streamIds: null },
    );
  });
  afterAll(async () => {
    await h.close();
  });

  it("draws actual cells from telemetry and forecast cells from the latest run, split at its forecast start", async () => {
    const res = await h.call<Cells>("query", "heatmap.cells", { streamId, pastSteps: 30 }, viewer);
    expect(res.status).toBe(200);
    const m = res.data!;
    expect(m.bucketSec).toBe(10);
    expect(m.boundaryMs).toBe(base);
    expect(m.run?.id).toBe(runId);
    expect(m.run?.model).toBe("selection (default)");
    expect(m.times).toHaveLength(42);
    expect(m.kinds.filter((k) => k === "actual")).toHaveLength(30);
    expect(m.kinds.slice(30).every((k) => k === "forecast")).toBe(true);
    expect(m.times[30]).toBe(base);
    expect(m.rows).toHaveLength(4);
    expect(m.totalRows).toBe(4);
    for (const [i, s] of shardlets.entries()) {
      const row = m.rows.find((r) => r.shardletId === s.id)!;
      expect(row.streamName).toBe("heat");
      expect(row.values.slice(0, 30).every((v) => v === 10 * (i + 1))).toBe(true);
      expect(row.values.slice(30).every((v) => v === 100 * (i + 1))).toBe(true);
      expect(row.predictedPeak).toBe(100 * (i + 1));
    }
    expect(m.rows.find((r) => r.shardletId === shardlets[3]!.id)!.proposal).toBe("split");
    expect(m.maxValue).toBe(4500);

    // Zoom on one host: only its shardlets.
    const host = shardlets[0]!.hostId;
    const byHost = await h.call<Cells>("query", "heatmap.cells", { hostId: host }, viewer);
    expect(byHost.data!.rows.map((r) => r.shardletId).sort()).toEqual(shardlets.filter((s) => s.hostId === host).map((s) => s.id).sort());
    // The hottest rows when the map is cut.
    const cut = await h.call<Cells>("query", "heatmap.cells", { streamId, maxRows: 1 }, viewer);
    expect(cut.data!.rows.map((r) => r.shardletId)).toEqual([shardlets[3]!.id]);
    expect(cut.data!.totalRows).toBe(4);

    const bad = await h.call("query", "heatmap.cells", { pastSteps: 0 }, viewer);
    expect(bad.status).toBe(400);
    expect(bad.error?.message).toContain("show at least one past step");
    expect((await h.call("query", "heatmap.cells", {}, null)).status).toBe(401);
  });

  it("shows a shardlet's forecast against its actual load and what earlier runs forecast", async () => {
    const res = await h.call<Detail>("query", "heatmap.shardlet", { shardletId: shardlets[0]!.id, pastSteps: 30 }, viewer);
    expect(res.status).toBe(200);
    const d = res.data!;
    expect(d.shardlet.streamName).toBe("heat");
    expect(d.boundaryMs).toBe(base);
    const past = d.points.filter((p) => p.t < base);
    expect(past).toHaveLength(30);
    expect(past.every((p) => p.actual === 10 && p.forecast === null)).toBe(true);
    // The earlier run's forecast covers the last 10 past steps (made before each of them ended).
    expect(past.filter((p) => p.pastForecast === 7)).toHaveLength(10);
    const future = d.points.filter((p) => p.forecast !== null);
    expect(future).toHaveLength(12);
    expect(future.every((p) => p.forecast === 100 && p.t >= base)).toBe(true);
    expect(d.ranking?.predictedPeak).toBe(100);
    expect(d.proposals.map((p) => p.kind)).toEqual(["migrate"]);
    expect((await h.call("query", "heatmap.shardlet", { shardletId: "nope" }, viewer)).status).toBe(404);
  });

  it("lists open proposals most urgent first with names, to viewers", async () => {
    const res = await h.call<{ proposals: Proposal[]; latestRun: { id: string } | null }>("query", "analyzer.proposals", { status: "open" }, viewer);
    expect(res.status).toBe(200);
    const list = res.data!.proposals;
    expect(list.map((p) => p.kind)).toEqual(["add_host", "split", "migrate"]);
    expect(list[1]).toMatchObject({ streamName: "heat", urgencySec: 40, status: "open" });
    expect(list[1]!.range?.loHex).toMatch(/^0x[0-9a-f]{8}$/);
    expect(list[2]!.sourceHostName).toMatch(/^h[12]$/);
    expect(list[2]!.destHostName).toMatch(/^h[12]$/);
    expect(res.data!.latestRun?.id).toBe(runId);
  });

  it("shows the last run's notes with their shardlets' stream and range, filtered by stream", async () => {
    const other = await createStream(h.db, h.hosts, { name: "heat-other", shardCount: 1, shardletsPerShard: 1 });
    const [otherShardlet] = await listShardlets(h.db, { streamId: other.id });
    await replacePlannerNotes(h.db, "analyzer", [
      {
        streamId,
        shardletId: shardlets[2]!.id,
        message: "its forecast is not trusted (the last 3 actuals each missed the forecast): planned on its observed 30 events/s",
        details: { untrusted: "the last 3 actuals each missed the forecast" },
      },
      { streamId, shardletId: shardlets[1]!.id, message: "predicted to pass its split threshold, but a job already holds it" },
      { streamId: other.id, shardletId: otherShardlet!.id, message: "predicted to pass its split threshold, but a job already holds it" },
    ]);
    // The rebalancer's notes are its own page's.
    await replacePlannerNotes(h.db, "rebalancer", [{ streamId, message: "host h1 is within its share" }]);
    type Note = { streamName: string | null; shardletId: string | null; range: { loHex: string } | null; message: string };
    const all = await h.call<{ notes: Note[] }>("query", "analyzer.notes", {}, viewer);
    expect(all.status).toBe(200);
    expect(all.data!.notes.map((n) => [n.streamName, n.shardletId, n.message.slice(0, 20)])).toEqual([
      ["heat", shardlets[2]!.id, "its forecast is not "],
      ["heat", shardlets[1]!.id, "predicted to pass it"],
      ["heat-other", otherShardlet!.id, "predicted to pass it"],
    ]);
    expect(all.data!.notes[0]!.range?.loHex).toMatch(/^0x[0-9a-f]{8}$/);
    const one = await h.call<{ notes: Note[] }>("query", "analyzer.notes", { streamId }, viewer);
    expect(one.data!.notes.map((n) => n.shardletId)).toEqual([shardlets[2]!.id, shardlets[1]!.id]);
    // The heatmap marks the shardlet planned on its observed rate, and only that one.
    const cells = await h.call<{ rows: Array<{ shardletId: string; untrusted: string | null }> }>("query", "heatmap.cells", { streamId }, viewer);
    expect(cells.data!.rows.filter((r) => r.untrusted !== null).map((r) => [r.shardletId, r.untrusted])).toEqual([[shardlets[2]!.id, "the last 3 actuals each missed the forecast"]]);
    expect((await h.call("query", "analyzer.notes", { limit: 0 }, viewer)).status).toBe(400);
  });

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
    const ok = await h.call<{ changed: string[] }>("mutation", "analyzer.updateSettings", { ...parseAnalyzerSettings({}), horizonSec: 600, overloadFraction: 0.8 }, admin);
    expect(ok.status).toBe(200);
    expect(ok.data!.changed.sort()).toEqual(["horizonSec", "overloadFraction"]);
    const got = await h.call<{ analyzer: { horizonSec: number }; updatedAt: Date | null }>("query", "analyzer.settings", undefined, viewer);
    expect(got.data!.analyzer.horizonSec).toBe(600);
    expect(got.data!.updatedAt).not.toBeNull();
    expect(await h.db.settingAudit.count({ where: { key: "analyzer" } })).toBe(before + 1);
  });
});
