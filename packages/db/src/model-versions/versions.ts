import { ShardcastError, type ForecastModelKind } from "@shardcast/core";
import type { ControlDb } from "../client.ts";
import type { ModelVersionDetail, ModelVersionInfo, TrainableModelKind } from "./info.ts";
import { SUMMARY_SELECT, toInfo } from "./rows.ts";

/**
 * Forecasting model versions: one row per training of one kind, with its error figures on a
 * held-out window. At most one version is active; the seasonal naive and Holt-Winters baselines
 * serve while none is. Promotion and rollback are serialised by a transaction-scoped advisory
 * lock and recorded in the operations log.
 */

export { MODEL_STATUSES, type ModelStatus, type ModelVersionDetail, type ModelVersionInfo, type TrainableModelKind } from "./info.ts";

export async function listModelVersions(db: ControlDb, opts: { limit?: number; kind?: TrainableModelKind } = {}): Promise<ModelVersionInfo[]> {
  const rows = await db.modelVersion.findMany({
    where: opts.kind ? { kind: opts.kind } : {},
    orderBy: [{ createdAt: "desc" }, { version: "desc" }],
    take: Math.max(1, Math.min(500, opts.limit ?? 100)),
    select: SUMMARY_SELECT,
  });
  return rows.map(toInfo);
}

export async function listTrainingModelVersions(db: ControlDb): Promise<ModelVersionInfo[]> {
  const rows = await db.modelVersion.findMany({ where: { status: "training" }, orderBy: { createdAt: "asc" }, select: SUMMARY_SELECT });
  return rows.map(toInfo);
}

export async function getModelVersion(db: ControlDb, id: string): Promise<ModelVersionDetail> {
  const row = await db.modelVersion.findUnique({ where: { id }, select: SUMMARY_SELECT });
  if (!row) throw new ShardcastError("not_found", `Model version ${id} does not exist.`);
  const size = await db.$queryRaw<Array<{ bytes: number | null }>>`
    SELECT octet_length(artifact::text)::int AS bytes FROM model_versions WHERE id = ${id}`;
  return { ...toInfo(row), params: row.params, artifactBytes: size[0]?.bytes ?? 0 };
}

/** The stored artifact of a version (weights for the LSTM, options for Holt-Winters). */
export async function getModelArtifact(db: ControlDb, id: string): Promise<{ kind: ForecastModelKind; artifact: unknown; params: unknown }> {
  const row = await db.modelVersion.findUnique({ where: { id }, select: { kind: true, artifact: true, params: true } });
  if (!row) throw new ShardcastError("not_found", `Model version ${id} does not exist.`);
  return { kind: row.kind as ForecastModelKind, artifact: row.artifact, params: row.params };
}

/** The version that serves forecasts, or null while the default per-series selection serves. */
export async function getActiveModelVersion(db: ControlDb): Promise<ModelVersionInfo | null> {
  const row = await db.modelVersion.findFirst({
    where: { status: "active" },
    orderBy: [{ promotedAt: { sort: "desc", nulls: "last" } }, { createdAt: "desc" }],
    select: SUMMARY_SELECT,
  });
  return row ? toInfo(row) : null;
}

/** A version's kind and number, or null when it no longer exists. */
export async function findModelVersionName(db: ControlDb, id: string): Promise<{ kind: string; version: number } | null> {
  return db.modelVersion.findUnique({ where: { id }, select: { kind: true, version: true } });
}

/** How a run's model version is shown, e.g. "lstm v3"; with no version the analyzer picks the best model per series. */
export async function modelVersionLabel(db: ControlDb, versionId: string | null): Promise<string> {
  if (!versionId) return "selection (default)";
  const v = await findModelVersionName(db, versionId);
  return v ? `${v.kind} v${v.version}` : "a retired model";
}
