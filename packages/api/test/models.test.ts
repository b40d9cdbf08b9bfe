import { createModelVersion, finishModelVersion, promoteModelVersion, type TrainableModelKind } from "@shardcast/db";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startHarness, type Harness } from "./harness.ts";

interface VersionOut {
  id: string;
  kind: string;
  version: number;
  status: string;
  mase: number | null;
  progress: number;
}

const preview = {
  holdout: 3,
  period: 2,
  stepMs: 3_600_000,
  series: [{ name: "stream s1", startMs: 0, history: [1, 2, 3], actual: [4, 5, 6], predicted: [4, 5, 7], baseline: [2, 3, 2], mase: 0.4, baselineMase: 1.2 }],
  scores: [{ name: "stream s1", mase: 0.4, baselineMase: 1.2, mae: 0.33 }],
};

describe("models console api", () => {
  let h: Harness;
  let viewer: string;
  let operator: string;

  async function trained(kind: TrainableModelKind, mase: number) {
    const v = await createModelVersion(h.db, { kind, trigger: "schedule", jobId: "j1" });
    return finishModelVersion(h.db, v.id, {
      mae: 1,
      rmse: 2,
      mase,
      params: { jobId: "j1", source: "traces", sourceNote: "no telemetry yet", evaluation: preview, scores: { baselineMase: 1.2 }, decision: "kept", options: { fitLead: 24 } },
      artifact: { format: "x" },
    });
  }

  beforeAll(async () => {
    h = await startHarness({ hosts: 1 });
    viewer = await h.sessionFor("viewer");
    operator = await h.sessionFor("operator");
  });
  afterAll(async () => {
    await h?.close();
  });

  it("shows no version and no chart before any training, to anyone signed in", async () => {
    expect((await h.call("query", "models.list")).status).toBe(401);
    const list = await h.call<{ versions: VersionOut[]; activeId: string | null }>("query", "models.list", undefined, viewer);
    expect(list.data).toEqual({ versions: [], activeId: null });
    const get = await h.call<{ version: unknown; evaluation: unknown }>("query", "models.get", {}, viewer);
    expect(get.data).toMatchObject({ version: null, evaluation: null });
  });

  it("queues a manual training for an operator only, with the actor, and refuses a bad kind", async () => {
    const denied = await h.call("mutation", "models.retrain", { kind: "all" }, viewer);
    expect(denied.status).toBe(403);
    const bad = await h.call("mutation", "models.retrain", { kind: "prophet" }, operator);
    expect(bad.status).toBe(400);
    expect(await h.queue.getJobs(["waiting", "delayed", "prioritized"])).toHaveLength(0);

    const res = await h.call<{ jobId: string; message: string }>("mutation", "models.retrain", { kind: "lstm" }, operator);
    expect(res.status).toBe(200);
    expect(res.data?.message).toBe("Training of the LSTM queued.");
    const jobs = await h.queue.getJobs(["waiting", "delayed", "prioritized"]);
    expect(jobs.map((j) => ({ id: j.id, name: j.name, kind: (j.data as { kind: string }).kind, trigger: (j.data as { trigger: string }).trigger }))).toEqual([
      { id: res.data!.jobId, name: "model.train", kind: "lstm", trigger: "manual" },
    ]);
    expect((jobs[0]!.data as { actor: string }).actor).toMatch(/^operator-.*@example\.com$/);
    const status = await h.call("query", "models.status", { jobId: res.data!.jobId }, viewer);
    expect(status.data).toEqual({ training: [], job: { state: "waiting", stage: null, fraction: 0, error: null, skipped: null, summary: null } });
  });

  it("lists versions with their figures and returns forecast vs actual for the active or chosen one", async () => {
    const hw = await trained("holt_winters", 0.9);
    const lstm = await trained("lstm", 0.7);
    await promoteModelVersion(h.db, hw.id, { actor: "test", reason: "first" });
    const training = await createModelVersion(h.db, { kind: "lstm", trigger: "manual", jobId: "j2" });

    const list = await h.call<{ versions: VersionOut[]; activeId: string }>("query", "models.list", undefined, viewer);
    expect(list.data?.activeId).toBe(hw.id);
    expect(list.data?.versions.map((v) => [v.kind, v.version, v.status])).toEqual([
      ["lstm", 2, "training"],
      ["lstm", 1, "candidate"],
      ["holt_winters", 1, "active"],
    ]);
    const status = await h.call<{ training: VersionOut[] }>("query", "models.status", {}, viewer);
    expect(status.data?.training.map((v) => v.id)).toEqual([training.id]);

    const active = await h.call<{ version: VersionOut; evaluation: typeof preview; baselineMase: number; decision: string; settings: Record<string, unknown> }>("query", "models.get", {}, viewer);
    expect(active.data?.version.id).toBe(hw.id);
    expect(active.data?.evaluation).toEqual(preview);
    expect(active.data).toMatchObject({ baselineMase: 1.2, decision: "kept", settings: { options: { fitLead: 24 } } });
    const chosen = await h.call<{ version: VersionOut }>("query", "models.get", { id: lstm.id }, viewer);
    expect(chosen.data?.version).toMatchObject({ id: lstm.id, mase: 0.7 });
    expect((await h.call("query", "models.get", { id: "nope" }, viewer)).status).toBe(404);
  });

  it("promotes and rolls back for an operator with a reason; without one nothing changes", async () => {
    const list = (await h.call<{ versions: VersionOut[]; activeId: string }>("query", "models.list", undefined, viewer)).data!;
    const candidate = list.versions.find((v) => v.status === "candidate")!;
    expect((await h.call("mutation", "models.promote", { id: candidate.id, reason: "better" }, viewer)).status).toBe(403);
    const noReason = await h.call("mutation", "models.promote", { id: candidate.id, reason: " " }, operator);
    expect(noReason.status).toBe(400);
    expect(noReason.error?.message).toContain("say why");
    expect((await h.call<{ activeId: string }>("query", "models.list", undefined, viewer)).data?.activeId).toBe(list.activeId);

    const promoted = await h.call<{ version: VersionOut; message: string }>("mutation", "models.promote", { id: candidate.id, reason: "lower MASE" }, operator);
    expect(promoted.status).toBe(200);
    expect(promoted.data?.message).toBe("lstm v1 now serves forecasts.");
    const training = list.versions.find((v) => v.status === "training")!;
    const refused = await h.call("mutation", "models.promote", { id: training.id, reason: "too early" }, operator);
    expect(refused.status).toBe(409);

    const back = await h.call<{ from: VersionOut; to: VersionOut; message: string }>("mutation", "models.rollback", { reason: "LSTM overshoots" }, operator);
    expect(back.status).toBe(200);
    expect(back.data?.message).toBe("Rolled back from lstm v1 to holt_winters v1.");
    expect((await h.call<{ activeId: string }>("query", "models.list", undefined, viewer)).data?.activeId).toBe(list.activeId);
    const ops = await h.call<{ operations: Array<{ kind: string; message: string }> }>("query", "operations.list", { kind: "model." }, viewer);
    expect(ops.data?.operations.map((o) => o.kind)).toEqual(["model.rollback", "model.promote", "model.promote", "model.train.request"]);

    // Back to the default per-series selection: no version serves.
    expect((await h.call("mutation", "models.rollback", { reason: "x", toDefault: true, toId: candidate.id }, operator)).status).toBe(400);
    const toDefault = await h.call<{ from: VersionOut; to: VersionOut | null; message: string }>("mutation", "models.rollback", { reason: "the selection did better", toDefault: true }, operator);
    expect(toDefault.status).toBe(200);
    expect(toDefault.data).toMatchObject({ to: null, message: "Rolled back from holt_winters v1 to the default selection." });
    expect((await h.call<{ activeId: string | null }>("query", "models.list", undefined, viewer)).data?.activeId).toBeNull();
    const nothing = await h.call("mutation", "models.rollback", { reason: "again", toDefault: true }, operator);
    expect(nothing.status).toBe(409);
    expect(nothing.error?.message).toContain("nothing to roll back");
  });
});
