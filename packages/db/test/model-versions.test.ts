import { isShardcastError } from "@shardcast/core";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import {
  createModelVersion,
  failAbandonedModelVersions,
  failModelVersion,
  finishModelVersion,
  getActiveModelVersion,
  getModelArtifact,
  getModelVersion,
  listModelVersions,
  listOperations,
  listTrainingModelVersions,
  mergeModelParams,
  promoteIfBetter,
  promoteModelVersion,
  restartModelVersion,
  rollbackModelVersion,
  unfinishedVersionsOfJob,
  updateModelProgress,
  type ControlDb,
  type TrainableModelKind,
} from "../src/index.ts";
import { createTestControlDb } from "../src/testing.ts";

async function codeOf(p: Promise<unknown>): Promise<string | null> {
  try {
    await p;
    return null;
  } catch (err) {
    return isShardcastError(err) ? err.code : `unexpected: ${String(err)}`;
  }
}

describe("model versions", () => {
  let control: Awaited<ReturnType<typeof createTestControlDb>>;
  let db: ControlDb;

  beforeAll(async () => {
    control = await createTestControlDb();
    db = control.db;
  });
  afterAll(async () => {
    await control?.drop();
  });
  beforeEach(async () => {
    await db.modelVersion.deleteMany({});
    await db.operation.deleteMany({});
  });

  async function trained(kind: TrainableModelKind, mase: number, artifact: unknown = { w: 1 }) {
    const v = await createModelVersion(db, { kind, trigger: "manual", actor: "ada@example.com", jobId: "job-1" });
    return finishModelVersion(db, v.id, { mae: mase * 10, rmse: mase * 12, mase, params: { jobId: "job-1", source: "traces" }, artifact });
  }

  it("numbers versions per kind and tracks progress only while training", async () => {
    const a = await createModelVersion(db, { kind: "lstm", trigger: "schedule" });
    const b = await createModelVersion(db, { kind: "lstm", trigger: "manual", actor: "ada@example.com", jobId: "42" });
    const c = await createModelVersion(db, { kind: "holt_winters", trigger: "schedule" });
    expect([a.version, b.version, c.version]).toEqual([1, 2, 1]);
    expect(b).toMatchObject({ status: "training", progress: 0, jobId: "42", actor: "ada@example.com", trigger: "manual" });

    await updateModelProgress(db, b.id, 0.4, "epoch 4/10");
    await updateModelProgress(db, b.id, 7, "clamped");
    expect((await getModelVersion(db, b.id)).progress).toBe(1);
    await updateModelProgress(db, b.id, 0.5, "epoch 5/10");
    expect(await listTrainingModelVersions(db)).toHaveLength(3);

    await mergeModelParams(db, b.id, { source: "telemetry" });
    const done = await finishModelVersion(db, b.id, { mae: 1, rmse: 2, mase: 0.7, params: { jobId: "42", source: "telemetry", note: "x" }, artifact: { weights: "AAAA" } });
    expect(done).toMatchObject({ status: "candidate", progress: 1, mase: 0.7, source: "telemetry", jobId: "42" });
    expect(done.finishedAt).toBeInstanceOf(Date);
    // Progress after training ended is ignored.
    await updateModelProgress(db, b.id, 0.1, "late");
    expect((await getModelVersion(db, b.id)).progress).toBe(1);
    expect((await getModelArtifact(db, b.id)).artifact).toEqual({ weights: "AAAA" });
    expect((await getModelVersion(db, b.id)).artifactBytes).toBeGreaterThan(10);

    // Bad figures store nothing.
    expect(await codeOf(finishModelVersion(db, a.id, { mae: NaN, rmse: 1, mase: 1, params: {}, artifact: null }))).toBe("bad_request");
    expect((await getModelVersion(db, a.id)).status).toBe("training");
    expect(await codeOf(finishModelVersion(db, b.id, { mae: 1, rmse: 1, mase: 1, params: {}, artifact: null }))).toBe("conflict");
  });

  it("lets a retried job find and restart its unfinished rows; abandons stale ones", async () => {
    const v = await createModelVersion(db, { kind: "lstm", trigger: "manual", jobId: "job-9" });
    await failModelVersion(db, v.id, "out of memory");
    const failed = await getModelVersion(db, v.id);
    expect(failed).toMatchObject({ status: "failed", error: "out of memory" });
    expect((await unfinishedVersionsOfJob(db, "job-9")).map((x) => x.id)).toEqual([v.id]);
    expect(await unfinishedVersionsOfJob(db, "job-10")).toEqual([]);
    const again = await restartModelVersion(db, v.id);
    expect(again).toMatchObject({ status: "training", error: null, progress: 0 });

    expect(await failAbandonedModelVersions(db, new Date(Date.now() - 60_000))).toBe(0);
    expect(await failAbandonedModelVersions(db, new Date(Date.now() + 60_000))).toBe(1);
    expect((await getModelVersion(db, v.id)).status).toBe("failed");
  });

  it("promotes a candidate only when it beats the bar: seasonal naive while none is active, then the active version", async () => {
    const first = await trained("holt_winters", 1.2);
    const refused = await promoteIfBetter(db, first.id, { activeId: null, activeMase: null, baselineMase: 1.1 }, null);
    expect(refused).toMatchObject({ promoted: false, against: "seasonal naive", bar: 1.1 });
    expect(await getActiveModelVersion(db)).toBeNull();

    const hw = await trained("holt_winters", 0.9);
    expect(await promoteIfBetter(db, hw.id, { activeId: null, activeMase: null, baselineMase: 1.1 }, null)).toMatchObject({ promoted: true, replacedIds: [] });
    expect((await getActiveModelVersion(db))?.id).toBe(hw.id);

    // Re-scored on the same window the active one did worse than its stored figure: that counts.
    const lstm = await trained("lstm", 0.85);
    const d = await promoteIfBetter(db, lstm.id, { activeId: hw.id, activeMase: 0.8, baselineMase: 1.1 }, null);
    expect(d).toMatchObject({ promoted: false, bar: 0.8 });
    const d2 = await promoteIfBetter(db, lstm.id, { activeId: hw.id, activeMase: 0.95, baselineMase: 1.1 }, "ops@example.com");
    expect(d2).toMatchObject({ promoted: true, replacedIds: [hw.id] });
    const active = await getActiveModelVersion(db);
    expect(active?.id).toBe(lstm.id);
    expect(active?.promotedAt).toBeInstanceOf(Date);
    expect((await getModelVersion(db, hw.id)).status).toBe("retired");

    // The active version changed since scoring: the stored MASE of the new one is the bar.
    const other = await trained("holt_winters", 0.84);
    expect(await promoteIfBetter(db, other.id, { activeId: hw.id, activeMase: 2, baselineMase: 1.1 }, null)).toMatchObject({ promoted: true, bar: 0.85 });

    const ops = await listOperations(db, { limit: 50, kind: "model.promote" });
    expect(ops).toHaveLength(3);
    expect(ops[0]!.message).toMatch(/holt_winters v3/);
    expect(await db.modelVersion.count({ where: { status: "active" } })).toBe(1);
  });

  it("promotes by hand with a reason and rolls back to the version that served before", async () => {
    const a = await trained("holt_winters", 0.9);
    const b = await trained("lstm", 0.95);
    const c = await trained("lstm", 1.3);
    expect(await codeOf(rollbackModelVersion(db, { actor: "ops", reason: "test" }))).toBe("conflict");

    await promoteModelVersion(db, a.id, { actor: "ops@example.com", reason: "first model" });
    // Before the first version the default selection served: rolling back returns to it.
    const toDefault = await rollbackModelVersion(db, { actor: "ops", reason: "back to the default" });
    expect(toDefault.from.id).toBe(a.id);
    expect(toDefault.to).toBeNull();
    expect(await getActiveModelVersion(db)).toBeNull();
    expect((await getModelVersion(db, a.id)).status).toBe("retired");
    expect(await codeOf(rollbackModelVersion(db, { actor: "ops", reason: "nothing serves" }))).toBe("conflict");
    await promoteModelVersion(db, a.id, { actor: "ops@example.com", reason: "first model again" });
    // A worse version may be promoted by hand: the operator decides.
    await promoteModelVersion(db, b.id, { actor: "ops@example.com", reason: "try the LSTM" });
    expect(await codeOf(promoteModelVersion(db, b.id, { actor: "ops", reason: "again" }))).toBe("conflict");

    const r = await rollbackModelVersion(db, { actor: "ops@example.com", reason: "LSTM misbehaves" });
    expect(r.from.id).toBe(b.id);
    expect(r.to?.id).toBe(a.id);
    expect((await getActiveModelVersion(db))?.id).toBe(a.id);
    expect((await getModelVersion(db, b.id)).status).toBe("retired");

    // Only a version that served before is a rollback target.
    expect(await codeOf(rollbackModelVersion(db, { actor: "ops", reason: "x", toId: c.id }))).toBe("conflict");
    expect(await codeOf(rollbackModelVersion(db, { actor: "ops", reason: "x", toId: "nope" }))).toBe("not_found");
    const back = await rollbackModelVersion(db, { actor: "ops", reason: "LSTM again", toId: b.id });
    expect(back.to?.status).toBe("active");

    const training = await createModelVersion(db, { kind: "lstm", trigger: "manual" });
    expect(await codeOf(promoteModelVersion(db, training.id, { actor: "ops", reason: "too early" }))).toBe("conflict");
    expect(await codeOf(promoteModelVersion(db, "missing", { actor: "ops", reason: "x" }))).toBe("not_found");

    const rollbacks = await listOperations(db, { limit: 50, kind: "model.rollback" });
    expect(rollbacks.map((o) => o.message)).toEqual([
      expect.stringContaining("LSTM again"),
      expect.stringContaining("LSTM misbehaves"),
      expect.stringMatching(/to the default selection: back to the default$/),
    ]);
    expect(rollbacks[1]!.actor).toBe("ops@example.com");
    expect((await listModelVersions(db)).length).toBe(4);
    expect((await listModelVersions(db, { kind: "holt_winters" })).length).toBe(1);
  });
});
