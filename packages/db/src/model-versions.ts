import { ShardcastError, type ForecastModelKind } from "@shardcast/core";
import type { ControlDb } from "./client.ts";
import { isUniqueViolation } from "./errors.ts";
import { Prisma } from "./generated/prisma/client.ts";

/**
 * Forecasting model versions: one row per training of one kind, with its error figures on a
 * held-out window. At most one version is active; the seasonal naive and Holt-Winters baselines
 * serve while none is. Promotion and rollback are serialised by a transaction-scoped advisory
 * lock and recorded in the operations log.
 */

export const MODEL_STATUSES = ["training", "candidate", "active", "retired", "failed"] as const;
export type ModelStatus = (typeof MODEL_STATUSES)[number];
export type TrainableModelKind = Exclude<ForecastModelKind, "seasonal_naive">;

export interface ModelVersionInfo {
  id: string;
  kind: ForecastModelKind;
  version: number;
  status: ModelStatus;
  /** 0..1 while training. */
  progress: number;
  progressNote: string | null;
  mae: number | null;
  rmse: number | null;
  mase: number | null;
  trigger: string;
  actor: string | null;
  error: string | null;
  /** The BullMQ job that trains (or trained) this version, from params. */
  jobId: string | null;
  /** Where the training series came from ("telemetry" or "traces"), from params. */
  source: string | null;
  createdAt: Date;
  finishedAt: Date | null;
  promotedAt: Date | null;
}

export interface ModelVersionDetail extends ModelVersionInfo {
  /** Training description, hyper-parameters, held-out evaluation (forecast vs actual). */
  params: unknown;
  /** Size of the stored artifact in bytes of JSON (weights for the LSTM). */
  artifactBytes: number;
}

const SUMMARY_SELECT = {
  id: true,
  kind: true,
  version: true,
  status: true,
  progress: true,
  progressNote: true,
  mae: true,
  rmse: true,
  mase: true,
  trigger: true,
  actor: true,
  error: true,
  params: true,
  createdAt: true,
  finishedAt: true,
  promotedAt: true,
} as const satisfies Prisma.ModelVersionSelect;

type SummaryRow = Prisma.ModelVersionGetPayload<{ select: typeof SUMMARY_SELECT }>;

function paramString(params: unknown, key: string): string | null {
  if (typeof params !== "object" || params === null || Array.isArray(params)) return null;
  const v = (params as Record<string, unknown>)[key];
  return typeof v === "string" ? v : null;
}

function toInfo(r: SummaryRow): ModelVersionInfo {
  return {
    id: r.id,
    kind: r.kind as ForecastModelKind,
    version: r.version,
    status: r.status as ModelStatus,
    progress: r.progress,
    progressNote: r.progressNote,
    mae: r.mae,
    rmse: r.rmse,
    mase: r.mase,
    trigger: r.trigger,
    actor: r.actor,
    error: r.error,
    jobId: paramString(r.params, "jobId"),
    source: paramString(r.params, "source"),
    createdAt: r.createdAt,
    finishedAt: r.finishedAt,
    promotedAt: r.promotedAt,
  };
}

function json(value: unknown): Prisma.InputJsonValue | typeof Prisma.DbNull {
  if (value === undefined || value === null) return Prisma.DbNull;
  // Callers pass JSON-shaped values (numbers, strings, arrays and records of them).
  return value;
}

type Tx = Prisma.TransactionClient;

async function lockPromotion(tx: Tx): Promise<void> {
  await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtext(${"model-promotion"}))`;
}

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

export interface ModelScores {
  mae: number;
  rmse: number;
  mase: number;
}

function checkScores(s: ModelScores): void {
  for (const k of ["mae", "rmse", "mase"] as const) {
    const v = s[k];
    if (typeof v !== "number" || !Number.isFinite(v) || v < 0) throw new ShardcastError("bad_request", `model ${k} must be a finite non-negative number, got ${String(v)}`);
  }
}

/** Ends training: the version becomes a `candidate` with its figures, parameters and artifact. */
export async function finishModelVersion(
  db: ControlDb,
  id: string,
  result: ModelScores & { params: Record<string, unknown>; artifact: unknown },
): Promise<ModelVersionInfo> {
  checkScores(result);
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

/** The version that serves forecasts, or null while the baselines serve. */
export async function getActiveModelVersion(db: ControlDb): Promise<ModelVersionInfo | null> {
  const row = await db.modelVersion.findFirst({
    where: { status: "active" },
    orderBy: [{ promotedAt: { sort: "desc", nulls: "last" } }, { createdAt: "desc" }],
    select: SUMMARY_SELECT,
  });
  return row ? toInfo(row) : null;
}

async function activate(tx: Tx, id: string, at: Date): Promise<string[]> {
  const previous = await tx.modelVersion.findMany({ where: { status: "active", id: { not: id } }, select: { id: true } });
  if (previous.length > 0) await tx.modelVersion.updateMany({ where: { id: { in: previous.map((p) => p.id) } }, data: { status: "retired" } });
  await tx.modelVersion.update({ where: { id }, data: { status: "active", promotedAt: at } });
  return previous.map((p) => p.id);
}

async function logModelOperation(
  tx: Tx,
  op: { kind: string; message: string; actor: string | null; details: Record<string, unknown> },
): Promise<void> {
  await tx.operation.create({
    data: { kind: op.kind, status: "succeeded", message: op.message, actor: op.actor, details: op.details as Prisma.InputJsonValue, finishedAt: new Date(), durationMs: 0 },
  });
}

const label = (r: { kind: string; version: number }) => `${r.kind} v${r.version}`;

export interface PromotionBenchmark {
  /** The active version when the candidate was scored (null: the baselines served). */
  activeId: string | null;
  /** That version's MASE re-scored on the candidate's held-out window (null: not re-scored). */
  activeMase: number | null;
  /** Seasonal naive's MASE on the same window: the bar while no version is active. */
  baselineMase: number;
}

export type PromotionDecision =
  | { promoted: true; replacedIds: string[]; bar: number; against: string }
  | { promoted: false; bar: number; against: string; reason: string };

/**
 * Promotes a freshly trained candidate only if its MASE beats the version that serves now (of
 * any kind), scored on the same held-out window when `bench` says so, or seasonal naive while no
 * version is active. Otherwise it stays a candidate.
 */
export async function promoteIfBetter(db: ControlDb, id: string, bench: PromotionBenchmark, actor: string | null): Promise<PromotionDecision> {
  return db.$transaction(async (tx) => {
    await lockPromotion(tx);
    const cand = await tx.modelVersion.findUnique({ where: { id }, select: { id: true, kind: true, version: true, status: true, mase: true } });
    if (!cand) throw new ShardcastError("not_found", `Model version ${id} does not exist.`);
    if (cand.status !== "candidate" || cand.mase === null) throw new ShardcastError("conflict", `${label(cand)} is ${cand.status}; only a scored candidate can be promoted`);
    const current = await tx.modelVersion.findFirst({
      where: { status: "active" },
      orderBy: [{ promotedAt: { sort: "desc", nulls: "last" } }, { createdAt: "desc" }],
      select: { id: true, kind: true, version: true, mase: true },
    });
    let bar: number;
    let against: string;
    if (!current) {
      bar = bench.baselineMase;
      against = "seasonal naive";
    } else if (current.id === bench.activeId && bench.activeMase !== null && Number.isFinite(bench.activeMase)) {
      bar = bench.activeMase;
      against = `${label(current)} on the same window`;
    } else {
      // The active version changed while this one trained: compare with its stored figure.
      bar = current.mase ?? Infinity;
      against = label(current);
    }
    // Figures pass through float8 columns and JSON, which may change the last bit: a tie (the
    // same model scored twice) must not count as beating it.
    if (!(cand.mase < bar * (1 - 1e-9))) {
      return { promoted: false, bar, against, reason: `MASE ${cand.mase.toFixed(3)} does not beat ${against} (${bar.toFixed(3)})` };
    }
    const replacedIds = await activate(tx, id, new Date());
    await logModelOperation(tx, {
      kind: "model.promote",
      message: `promoted ${label(cand)}: MASE ${cand.mase.toFixed(3)} beats ${against} (${bar.toFixed(3)})`,
      actor,
      details: { versionId: id, mase: cand.mase, bar, against, replacedIds, automatic: true },
    });
    return { promoted: true, replacedIds, bar, against };
  });
}

/**
 * An operator's promotion of a finished version (candidate or retired), whatever its figures:
 * the reason is recorded with it.
 */
export async function promoteModelVersion(db: ControlDb, id: string, by: { actor: string; reason: string }): Promise<ModelVersionInfo> {
  await db.$transaction(async (tx) => {
    await lockPromotion(tx);
    const v = await tx.modelVersion.findUnique({ where: { id }, select: { id: true, kind: true, version: true, status: true, mase: true } });
    if (!v) throw new ShardcastError("not_found", `Model version ${id} does not exist.`);
    if (v.status === "active") throw new ShardcastError("conflict", `${label(v)} is already active.`);
    if (v.status !== "candidate" && v.status !== "retired") throw new ShardcastError("conflict", `${label(v)} is ${v.status}; only a trained candidate or retired version can be promoted.`);
    const replacedIds = await activate(tx, id, new Date());
    await logModelOperation(tx, {
      kind: "model.promote",
      message: `promoted ${label(v)} by hand: ${by.reason}`,
      actor: by.actor,
      details: { versionId: id, mase: v.mase, replacedIds, reason: by.reason, automatic: false },
    });
  });
  return toInfo(await db.modelVersion.findUniqueOrThrow({ where: { id }, select: SUMMARY_SELECT }));
}

/**
 * Returns to the version that served before the active one (or to `toId`, a version that served
 * once); the active version is retired. Without an earlier version there is nothing to roll back to.
 */
export async function rollbackModelVersion(db: ControlDb, by: { actor: string; reason: string; toId?: string }): Promise<{ from: ModelVersionInfo; to: ModelVersionInfo }> {
  const ids = await db.$transaction(async (tx) => {
    await lockPromotion(tx);
    const current = await tx.modelVersion.findFirst({
      where: { status: "active" },
      orderBy: [{ promotedAt: { sort: "desc", nulls: "last" } }, { createdAt: "desc" }],
      select: { id: true, kind: true, version: true },
    });
    if (!current) throw new ShardcastError("conflict", "No model version is active; the baselines serve, so there is nothing to roll back.");
    const target = by.toId
      ? await tx.modelVersion.findUnique({ where: { id: by.toId }, select: { id: true, kind: true, version: true, status: true, promotedAt: true } })
      : await tx.modelVersion.findFirst({
          where: { status: "retired", promotedAt: { not: null }, id: { not: current.id } },
          orderBy: { promotedAt: "desc" },
          select: { id: true, kind: true, version: true, status: true, promotedAt: true },
        });
    if (!target) {
      throw new ShardcastError(by.toId ? "not_found" : "conflict", by.toId ? `Model version ${by.toId} does not exist.` : "No earlier version has served; there is nothing to roll back to.");
    }
    if (target.id === current.id) throw new ShardcastError("conflict", `${label(target)} is already active.`);
    if (target.status !== "retired" || target.promotedAt === null) {
      throw new ShardcastError("conflict", `${label(target)} never served (it is ${target.status}); roll back only to a version that was active before.`);
    }
    await activate(tx, target.id, new Date());
    await logModelOperation(tx, {
      kind: "model.rollback",
      message: `rolled back from ${label(current)} to ${label(target)}: ${by.reason}`,
      actor: by.actor,
      details: { fromId: current.id, toId: target.id, reason: by.reason },
    });
    return { from: current.id, to: target.id };
  });
  const [from, to] = await Promise.all([
    db.modelVersion.findUniqueOrThrow({ where: { id: ids.from }, select: SUMMARY_SELECT }),
    db.modelVersion.findUniqueOrThrow({ where: { id: ids.to }, select: SUMMARY_SELECT }),
  ]);
  return { from: toInfo(from), to: toInfo(to) };
}
