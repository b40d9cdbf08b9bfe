import { checkModelScores, ShardcastError, type ModelScores } from "@shardcast/core";
import type { ControlDb } from "../client.ts";
import { isUniqueViolation } from "../errors.ts";
import { json, SUMMARY_SELECT, toInfo } from "./rows.ts";
import type { ModelVersionInfo, TrainableModelKind } from "./versions.ts";

export type { ModelScores } from "@shardcast/core";

/** Starts a version of `kind` in status `training`, numbered one past the kind's latest. */
export async function createModelVersion(
  db: ControlDb,
  v: { kind: TrainableModelKind; trigger: string; actor?: string | null; jobId?: string | null; params?: Record<string, unknown> },
): Promise<ModelVersionInfo> {
  for (let attempt = 0; ; attempt++) {
    const latest = await db.modelVersion.findFirst({ where: { kind: v.kind }, orderBy: { version: "desc" }, select: { version: true } });
    try {
      const row = await db.modelVersion.create({
        data: {
          kind: v.kind,
          version: (latest?.version ?? 0) + 1,
          status: "training",
          progress: 0,
          progressNote: "queued",
          trigger: v.trigger,
          actor: v.actor ?? null,
          params: json({ ...(v.params ?? {}), ...(v.jobId ? { jobId: v.jobId } : {}) }),
        },
        select: SUMMARY_SELECT,
      });
      return toInfo(row);
    } catch (err) {
      // Two trainings of one kind took the same number: take the next.
      if (!isUniqueViolation(err) || attempt >= 5) throw err;
    }
  }
}

/** Versions a job created that did not finish, for its retry to train again instead of starting new rows. */
export async function unfinishedVersionsOfJob(db: ControlDb, jobId: string): Promise<ModelVersionInfo[]> {
  const rows = await db.modelVersion.findMany({
    where: { status: { in: ["training", "failed"] }, params: { path: ["jobId"], equals: jobId } },
    orderBy: { createdAt: "asc" },
    select: SUMMARY_SELECT,
  });
  return rows.map(toInfo);
}

/** Puts a failed or interrupted version back into training (a retried job). */
export async function restartModelVersion(db: ControlDb, id: string): Promise<ModelVersionInfo> {
  const r = await db.modelVersion.updateMany({
    where: { id, status: { in: ["training", "failed"] } },
    data: { status: "training", progress: 0, progressNote: "restarted", error: null, finishedAt: null },
  });
  if (r.count === 0) throw new ShardcastError("conflict", `model version ${id} is not training or failed; it cannot be trained again`);
  return toInfo(await db.modelVersion.findUniqueOrThrow({ where: { id }, select: SUMMARY_SELECT }));
}

/** Records training progress (0..1) and a note; ignored once the version has left `training`. */
export async function updateModelProgress(db: ControlDb, id: string, progress: number, note: string): Promise<void> {
  const p = Math.max(0, Math.min(1, Number.isFinite(progress) ? progress : 0));
  await db.modelVersion.updateMany({ where: { id, status: "training" }, data: { progress: p, progressNote: note.slice(0, 500) } });
}

/** Adds fields to a version's params (e.g. the training source once it is known). */
export async function mergeModelParams(db: ControlDb, id: string, extra: Record<string, unknown>): Promise<void> {
  await db.$transaction(async (tx) => {
    const row = await tx.modelVersion.findUnique({ where: { id }, select: { params: true } });
    if (!row) throw new ShardcastError("not_found", `model version ${id} does not exist`);
    const current = typeof row.params === "object" && row.params !== null && !Array.isArray(row.params) ? (row.params as Record<string, unknown>) : {};
    await tx.modelVersion.update({ where: { id }, data: { params: json({ ...current, ...extra }) } });
  });
}

/** Ends training: the version becomes a `candidate` with its figures, parameters and artifact. */
export async function finishModelVersion(
  db: ControlDb,
  id: string,
  result: ModelScores & { params: Record<string, unknown>; artifact: unknown },
): Promise<ModelVersionInfo> {
  checkModelScores(result);
  const r = await db.modelVersion.updateMany({
    where: { id, status: "training" },
    data: {
      status: "candidate",
      progress: 1,
      progressNote: "trained",
      mae: result.mae,
      rmse: result.rmse,
      mase: result.mase,
      params: json(result.params),
      artifact: json(result.artifact),
      finishedAt: new Date(),
      error: null,
    },
  });
  if (r.count === 0) throw new ShardcastError("conflict", `model version ${id} is no longer training`);
  return toInfo(await db.modelVersion.findUniqueOrThrow({ where: { id }, select: SUMMARY_SELECT }));
}

export async function failModelVersion(db: ControlDb, id: string, error: string): Promise<void> {
  await db.modelVersion.updateMany({
    where: { id, status: "training" },
    data: { status: "failed", error: error.slice(0, 2000), progressNote: "failed", finishedAt: new Date() },
  });
}

/** Versions still `training` that were created before `before`: their worker died. */
export async function failAbandonedModelVersions(db: ControlDb, before: Date): Promise<number> {
  const r = await db.modelVersion.updateMany({
    where: { status: "training", createdAt: { lt: before } },
    data: { status: "failed", error: "training was abandoned (its worker stopped before finishing)", progressNote: "abandoned", finishedAt: new Date() },
  });
  return r.count;
}
