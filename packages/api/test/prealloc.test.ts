import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { decidePrealloc, parsePreallocSettings } from "@shardcast/core";
import { closePreallocation, createStream, getPreallocSettings, recordPreallocation, recordPreallocRun, recordPreallocTraining, type PreallocDetails } from "@shardcast/db";
import { startHarness, type Harness } from "./harness.ts";

/** Operations name a stream by id without a foreign key: any id serves here. */
const STREAM = "stream-prealloc-api";

interface Overview {
  aggressiveness: number;
  preallocations: Array<{ id: string; state: string; cause: string | null; hotPartId: string | null }>;
  outcomes: { hit: number; released: number; failed: number; open: number };
  wastedShare: number | null;
  latestRun: {
    decisions: Array<{ shardletId: string; prepare: boolean; reason: string }>;
    precision: number | null;
    recall: number | null;
    gates: Array<{ streamId: string; open: boolean; reason: string }>;
  } | null;
}

describe("pre-allocation console api", () => {
  let h: Harness;
  let viewer: string;
  let operator: string;
  let admin: string;

  beforeAll(async () => {
    h = await startHarness({ hosts: 1 });
    [viewer, operator, admin] = await Promise.all([h.sessionFor("viewer"), h.sessionFor("operator"), h.sessionFor("admin")]);
  });
  afterAll(async () => {
    await h.close();
  });

  it("is off by default; only an admin changes it, with valid values, audited", async () => {
    const defaults = parsePreallocSettings({});
    const got = await h.call<{ settings: { aggressiveness: number } }>("query", "prealloc.settings", undefined, viewer);
    expect(got.status).toBe(200);
    expect(got.data!.settings.aggressiveness).toBe(0);
    expect((await h.call("query", "prealloc.settings", undefined, null)).status).toBe(401);

    expect((await h.call("mutation", "prealloc.updateSettings", { ...defaults, aggressiveness: 0.5 }, operator)).status).toBe(403);
    const invalid = await h.call("mutation", "prealloc.updateSettings", { ...defaults, aggressiveness: 2 }, admin);
    expect(invalid.status).toBe(400);
    expect(await h.db.settingAudit.count({ where: { key: "prealloc" } })).toBe(0);
    expect(await getPreallocSettings(h.db)).toEqual(defaults);

    const ok = await h.call<{ changed: string[] }>("mutation", "prealloc.updateSettings", { ...defaults, aggressiveness: 0.5, graceSec: 60 }, admin);
    expect(ok.status).toBe(200);
    expect(ok.data!.changed.sort()).toEqual(["aggressiveness", "graceSec"]);
    expect(await getPreallocSettings(h.db)).toMatchObject({ aggressiveness: 0.5, graceSec: 60 });
    expect(await h.db.settingAudit.count({ where: { key: "prealloc" } })).toBe(1);
  });

  it("lists pre-allocations with their outcome and the latest run's why and why not", async () => {
    const base: PreallocDetails = { stage: "prepared", probability: 0.8, cause: "campaign_started", splitAt: 5, preparedAtMs: Date.now(), releaseAtMs: Date.now() + 60_000, reason: "split at the predicted load median", hotChildId: "s-hot", childIds: ["s-a", "s-hot"] };
    const hit = await recordPreallocation(h.db, { streamId: STREAM, shardletId: "s-1", message: "pre-allocation", details: base });
    await closePreallocation(h.db, hit.id, { ...base, outcome: "hit" }, "used");
    const wasted = await recordPreallocation(h.db, { streamId: STREAM, shardletId: "s-2", message: "pre-allocation", details: base });
    await closePreallocation(h.db, wasted.id, { ...base, outcome: "released" }, "released");
    await recordPreallocation(h.db, { streamId: STREAM, shardletId: "s-3", message: "pre-allocation", details: base });
    const candidate = {
      prediction: { shardletId: "s-4", probability: 0.1, expectedPeakPerStep: 500, currentPerStep: 10, usualPerStep: 10, horizonEndsMs: Date.now() + 60_000 },
      shardletBytes: 1024,
      splittable: true,
      host: { id: "h", writesPerSec: 0, capacityPerSec: 1e9 },
      destination: null,
      prepared: false,
    };
    const whyNot = decidePrealloc(candidate, Date.now(), { aggressiveness: 0.5 });
    const gate = { open: false, settled: 6, hits: 0, saved: 0, cost: 120, reason: "predictions do not pay: 0 of the last 6 predictions came" };
    await recordPreallocRun(h.db, {
      streamId: STREAM,
      decisions: [whyNot],
      prepared: 0,
      released: 1,
      hits: 1,
      gates: { [STREAM]: gate },
      shadows: { opened: 1, hits: 0, released: 0 },
      modelVersion: 1234,
      quality: { precision: 0.75, recall: 0.6 },
      durationMs: 5,
    });

    const res = await h.call<Overview>("query", "prealloc.overview", { streamId: STREAM }, viewer);
    expect(res.status).toBe(200);
    const o = res.data!;
    expect(o.aggressiveness).toBe(0.5);
    expect(o.outcomes).toEqual({ hit: 1, released: 1, failed: 0, open: 1 });
    expect(o.wastedShare).toBe(0.5);
    expect(o.preallocations.map((p) => p.state)).toEqual(["prepared", "released", "hit"]);
    expect(o.latestRun).toMatchObject({ precision: 0.75, recall: 0.6, decisions: [{ shardletId: "s-4", prepare: false }] });
    expect(o.latestRun!.decisions[0]!.reason).toMatch(/below/);
    // The skill gate's verdict of the run, per stream it weighed.
    expect(o.latestRun!.gates).toEqual([{ streamId: STREAM, ...gate }]);
    expect((await h.call("query", "prealloc.overview", { limit: 0 }, viewer)).status).toBe(400);
  });

  it("queues a training on stored history for an operator only, and shows the latest one's outcome per stream", async () => {
    expect((await h.call("mutation", "prealloc.train", {}, viewer)).status).toBe(403);
    expect((await h.call("mutation", "prealloc.train", { streamId: "" }, operator)).status).toBe(400);
    expect((await h.queue.getJobs(["waiting", "delayed", "prioritized"])).filter((j) => j.name === "prealloc.train")).toHaveLength(0);
    expect((await h.call("mutation", "prealloc.train", { streamId: "no-such-stream" }, operator)).status).toBe(404);
    const trained = await createStream(h.db, h.hosts, { name: "prealloc-trained", shardCount: 1, shardletsPerShard: 1 });
    const res = await h.call<{ jobId: string }>("mutation", "prealloc.train", { streamId: trained.id }, operator);
    expect(res.status).toBe(200);
    const jobs = (await h.queue.getJobs(["waiting", "delayed", "prioritized"])).filter((j) => j.name === "prealloc.train");
    expect(jobs.map((j) => ({ id: j.id, data: j.data }))).toEqual([{ id: res.data!.jobId, data: { streamId: trained.id, trigger: "manual", actor: expect.stringMatching(/^operator-/) as unknown } }]);
    const status = await h.call("query", "prealloc.trainStatus", { jobId: res.data!.jobId }, viewer);
    expect(status.data).toEqual({ state: "waiting", stage: null, fraction: 0, error: null, skipped: null, summary: null });
    expect((await h.call("query", "prealloc.trainStatus", { jobId: "no-such-job" }, viewer)).status).toBe(404);

    const before = await h.call<{ defaultModel: unknown }>("query", "prealloc.overview", { streamId: STREAM }, viewer);
    expect(before.data!.defaultModel).toBeNull();
    const q = { precision: 0.8, recall: 0.7, alerts: 10, onsets: 11 };
    await recordPreallocTraining(h.db, {
      actor: "test",
      durationMs: 1200,
      streams: [
        { streamId: STREAM, stream: "orders", events: 50_000, outcome: "installed", note: "installed", version: 9000, heldOut: q, baseline: { ...q, precision: 0.3, recall: 0.2 } },
        { streamId: "other", stream: "quiet", events: 10, outcome: "skipped", note: "too short", version: null, heldOut: null, baseline: null },
      ],
    });
    const after = await h.call<{ defaultModel: { streams: Array<{ stream: string; outcome: string; heldOut: unknown }> } }>("query", "prealloc.overview", { streamId: STREAM }, viewer);
    expect(after.data!.defaultModel.streams).toEqual([expect.objectContaining({ stream: "orders", outcome: "installed", heldOut: q })]);
  });
});
