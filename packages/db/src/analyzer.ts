import {
  ANALYZER_SETTINGS_KEY,
  analyzerSettingsSchema,
  isPredictiveMode,
  ShardcastError,
  TELEMETRY_RESOLUTIONS,
  type AnalyzerSettings,
  type PredictiveMode,
} from "@shardcast/core";
import type { ControlDb } from "./client.ts";
import { num } from "./errors.ts";
import { Prisma, type AnalyzerProposal as ProposalRow } from "./generated/prisma/client.ts";
import { createMigrationProposal } from "./migration-proposals/propose.ts";
import { getSettings, updateSetting, type SettingActor } from "./settings.ts";

/**
 * The predictive analyzer's control-database side: its settings, runs with their forecast points,
 * proposals (split / migrate / add_host) and their decisions, stream predictive modes, and the
 * series it forecasts from (telemetry write counts re-bucketed to the analyzer's step).
 */

export const ANALYZER_PROPOSAL_KINDS = ["split", "migrate", "add_host"] as const;
export type AnalyzerProposalKind = (typeof ANALYZER_PROPOSAL_KINDS)[number];
export const ANALYZER_PROPOSAL_STATUSES = ["open", "applied", "dismissed", "superseded"] as const;
export type AnalyzerProposalStatus = (typeof ANALYZER_PROPOSAL_STATUSES)[number];

// ---- settings -------------------------------------------------------------------------------

/** The analyzer settings as stored (defaults for what is missing or no longer valid). */
export async function getAnalyzerSettings(db: ControlDb): Promise<AnalyzerSettings> {
  const row = await db.setting.findUnique({ where: { key: ANALYZER_SETTINGS_KEY } });
  const parsed = analyzerSettingsSchema.safeParse(row?.value ?? {});
  // A value an older release stored that no longer validates must not stop the analyzer.
  return parsed.success ? parsed.data : analyzerSettingsSchema.parse({});
}

/** When the analyzer settings were last saved, or null while the defaults apply. */
export async function analyzerSettingsUpdatedAt(db: ControlDb): Promise<Date | null> {
  const row = await db.setting.findUnique({ where: { key: ANALYZER_SETTINGS_KEY }, select: { updatedAt: true } });
  return row?.updatedAt ?? null;
}

/**
 * Validates and stores the analyzer settings (a partial value is merged over the current one),
 * auditing the change. Invalid values are rejected with `validation_failed`, one issue per field,
 * and nothing is stored.
 */
export async function updateAnalyzerSettings(db: ControlDb, value: Partial<AnalyzerSettings>, actor: SettingActor | null): Promise<AnalyzerSettings> {
  const current = (await getSettings(db))[ANALYZER_SETTINGS_KEY];
  const base = typeof current === "object" && current !== null && !Array.isArray(current) ? (current as Record<string, unknown>) : {};
  const parsed = analyzerSettingsSchema.safeParse({ ...base, ...value });
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => ({ path: i.path.map(String).join("."), message: i.message }));
    const summary = issues.map((i) => (i.path ? `${i.path}: ${i.message}` : i.message)).join("; ");
    throw new ShardcastError("validation_failed", `invalid analyzer settings: ${summary}`, { issues });
  }
  await updateSetting(db, ANALYZER_SETTINGS_KEY, parsed.data, actor);
  return parsed.data;
}

// ---- stream modes ---------------------------------------------------------------------------

export interface StreamPredictiveMode {
  id: string;
  name: string;
  mode: PredictiveMode;
  createdAt: Date;
}

function modeOf(value: string): PredictiveMode {
  // An unknown stored value never makes the analyzer act.
  return isPredictiveMode(value) ? value : "forecast_only";
}

export async function listStreamPredictiveModes(db: ControlDb): Promise<StreamPredictiveMode[]> {
  const rows = await db.stream.findMany({ select: { id: true, name: true, predictiveMode: true, createdAt: true }, orderBy: { name: "asc" } });
  return rows.map((r) => ({ id: r.id, name: r.name, mode: modeOf(r.predictiveMode), createdAt: r.createdAt }));
}

/** Sets a stream's predictive mode; returns the mode before and after. */
export async function setStreamPredictiveMode(
  db: ControlDb,
  streamId: string,
  mode: PredictiveMode,
): Promise<{ id: string; name: string; before: PredictiveMode; after: PredictiveMode }> {
  if (!isPredictiveMode(mode)) throw new ShardcastError("validation_failed", `predictive mode must be forecast_only or act`);
  return db.$transaction(async (tx) => {
    const rows = await tx.$queryRaw<Array<{ id: string; name: string; predictive_mode: string }>>`
      SELECT id, name, predictive_mode FROM streams WHERE id = ${streamId} FOR UPDATE`;
    const row = rows[0];
    if (!row) throw new ShardcastError("not_found", "no such stream");
    await tx.stream.update({ where: { id: streamId }, data: { predictiveMode: mode } });
    return { id: row.id, name: row.name, before: modeOf(row.predictive_mode), after: mode };
  });
}

/**
 * Streams created after `since` that still have the column's default mode take `mode` (how the
 * `forecastOnlyDefault` setting reaches new streams). Returns the streams changed.
 */
export async function applyDefaultPredictiveMode(db: ControlDb, since: Date, mode: PredictiveMode): Promise<string[]> {
  if (mode === "forecast_only") return [];
  const rows = await db.stream.findMany({ where: { createdAt: { gt: since }, predictiveMode: "forecast_only" }, select: { id: true } });
  if (rows.length === 0) return [];
  await db.stream.updateMany({ where: { id: { in: rows.map((r) => r.id) }, predictiveMode: "forecast_only" }, data: { predictiveMode: mode } });
  return rows.map((r) => r.id);
}

// ---- runs and forecast points ---------------------------------------------------------------

export interface RankingEntry {
  shardletId: string;
  predictedPeak: number;
  /** Write rate counted as overload (events/s). */
  threshold: number;
  overloadInSec: number | null;
  score: number;
}

export interface NewAnalyzerRun {
  at: Date;
  horizonSec: number;
  bucketSec: number;
  modelVersionId: string | null;
  ranking: readonly RankingEntry[];
  /** Start (epoch ms) of the first forecast bucket. */
  forecastStartMs: number;
  forecasts: ReadonlyArray<{ shardletId: string; streamId: string; values: readonly number[] }>;
}

export interface AnalyzerRunInfo {
  id: string;
  at: Date;
  horizonSec: number;
  bucketSec: number;
  modelVersionId: string | null;
  ranking: RankingEntry[];
}

const POINTS_PER_STATEMENT = 20_000;

/** Epoch ms -> the `timestamp(3)` (UTC, no zone) Prisma stores, whatever the session's zone. */
const ts = (ms: number) => Prisma.sql`(timestamp '1970-01-01 00:00:00' + ${ms}::float8 * interval '1 millisecond')`;

/** Stores a run and its forecast points (one row per shardlet and step) in one transaction. */
export async function recordAnalyzerRun(db: ControlDb, run: NewAnalyzerRun): Promise<{ id: string; points: number }> {
  const stepMs = run.bucketSec * 1000;
  const shardletIds: string[] = [];
  const streamIds: string[] = [];
  const starts: number[] = [];
  const values: number[] = [];
  for (const f of run.forecasts) {
    f.values.forEach((v, i) => {
      shardletIds.push(f.shardletId);
      streamIds.push(f.streamId);
      starts.push(run.forecastStartMs + i * stepMs);
      values.push(Number.isFinite(v) ? v : 0);
    });
  }
  return db.$transaction(
    async (tx) => {
      const row = await tx.analyzerRun.create({
        data: {
          at: run.at,
          horizonSec: run.horizonSec,
          bucketSec: run.bucketSec,
          modelVersionId: run.modelVersionId,
          ranking: run.ranking as unknown as Prisma.InputJsonValue,
        },
        select: { id: true },
      });
      for (let i = 0; i < values.length; i += POINTS_PER_STATEMENT) {
        const end = i + POINTS_PER_STATEMENT;
        await tx.$executeRaw`
          INSERT INTO forecast_points (run_id, shardlet_id, stream_id, bucket_start, value)
          SELECT ${row.id}, t.shardlet_id, t.stream_id, timestamp '1970-01-01 00:00:00' + t.ms * interval '1 millisecond', t.value
          FROM unnest(${shardletIds.slice(i, end)}::text[], ${streamIds.slice(i, end)}::text[],
                      ${starts.slice(i, end)}::float8[], ${values.slice(i, end)}::float8[])
            AS t(shardlet_id, stream_id, ms, value)`;
      }
      return { id: row.id, points: values.length };
    },
    { timeout: 60_000 },
  );
}

function toRunInfo(r: { id: string; at: Date; horizonSec: number; bucketSec: number; modelVersionId: string | null; ranking: unknown }): AnalyzerRunInfo {
  return {
    id: r.id,
    at: r.at,
    horizonSec: r.horizonSec,
    bucketSec: r.bucketSec,
    modelVersionId: r.modelVersionId,
    ranking: Array.isArray(r.ranking) ? (r.ranking as RankingEntry[]) : [],
  };
}

/** The latest run; with `streamId`, the latest that forecast that stream. */
export async function latestAnalyzerRun(db: ControlDb, filter: { streamId?: string } = {}): Promise<AnalyzerRunInfo | null> {
  if (!filter.streamId) {
    const row = await db.analyzerRun.findFirst({ orderBy: [{ at: "desc" }, { id: "desc" }] });
    return row ? toRunInfo(row) : null;
  }
  const rows = await db.$queryRaw<Array<{ run_id: string }>>`
    SELECT fp.run_id FROM forecast_points fp JOIN analyzer_runs r ON r.id = fp.run_id
    WHERE fp.stream_id = ${filter.streamId}
    ORDER BY fp.bucket_start DESC, r.at DESC LIMIT 1`;
  const id = rows[0]?.run_id;
  if (!id) return null;
  const row = await db.analyzerRun.findUnique({ where: { id } });
  return row ? toRunInfo(row) : null;
}

export async function countAnalyzerRuns(db: ControlDb): Promise<number> {
  return db.analyzerRun.count();
}

/** A run's forecast per shardlet: bucket starts (ms) and values, oldest first. */
export async function runForecasts(db: ControlDb, runId: string, shardletIds?: readonly string[]): Promise<Map<string, Array<{ t: number; value: number }>>> {
  const rows = await db.forecastPoint.findMany({
    where: { runId, ...(shardletIds ? { shardletId: { in: [...shardletIds] } } : {}) },
    orderBy: [{ shardletId: "asc" }, { bucketStart: "asc" }],
    select: { shardletId: true, bucketStart: true, value: true },
  });
  const out = new Map<string, Array<{ t: number; value: number }>>();
  for (const r of rows) {
    const list = out.get(r.shardletId) ?? [];
    list.push({ t: r.bucketStart.getTime(), value: r.value });
    out.set(r.shardletId, list);
  }
  return out;
}

/**
 * What was forecast for a shardlet's past buckets: for each bucket in [fromMs, toMs), the value of
 * the latest run made before the bucket ended (so it had not seen the bucket).
 */
export async function pastForecasts(
  db: ControlDb,
  q: { streamId: string; shardletId: string; fromMs: number; toMs: number; bucketSec: number },
): Promise<Array<{ t: number; value: number }>> {
  const rows = await db.$queryRaw<Array<{ bucket_start: Date; value: number }>>`
    SELECT DISTINCT ON (fp.bucket_start) fp.bucket_start, fp.value
    FROM forecast_points fp JOIN analyzer_runs r ON r.id = fp.run_id
    WHERE fp.stream_id = ${q.streamId} AND fp.shardlet_id = ${q.shardletId}
      AND fp.bucket_start >= ${ts(q.fromMs)} AND fp.bucket_start < ${ts(q.toMs)}
      AND r.at < fp.bucket_start + make_interval(secs => ${q.bucketSec}::float8) AND r.bucket_sec = ${q.bucketSec}
    ORDER BY fp.bucket_start, r.at DESC`;
  return rows.map((r) => ({ t: r.bucket_start.getTime(), value: r.value }));
}

/**
 * Deletes forecast points of runs older than `before`, and those runs unless a proposal of theirs
 * was applied or is still open (kept, with their reasons, for the history).
 */
export async function deleteAnalyzerDataBefore(db: ControlDb, beforeMs: number): Promise<{ runs: number; points: number }> {
  const points = await db.$executeRaw`
    DELETE FROM forecast_points WHERE run_id IN (SELECT id FROM analyzer_runs WHERE at < ${ts(beforeMs)})`;
  const runs = await db.$executeRaw`
    DELETE FROM analyzer_runs r WHERE r.at < ${ts(beforeMs)}
      AND NOT EXISTS (SELECT 1 FROM analyzer_proposals p WHERE p.run_id = r.id AND p.status IN ('applied', 'open'))`;
  return { runs, points };
}

// ---- proposals ------------------------------------------------------------------------------

export interface NewAnalyzerProposal {
  kind: AnalyzerProposalKind;
  streamId?: string | null;
  shardletId?: string | null;
  sourceHostId?: string | null;
  destHostId?: string | null;
  urgencySec?: number | null;
  expectedBenefit?: number;
  reason: string;
  details?: Record<string, unknown> | null;
}

export interface AnalyzerProposalInfo {
  id: string;
  runId: string;
  kind: AnalyzerProposalKind;
  streamId: string | null;
  shardletId: string | null;
  sourceHostId: string | null;
  destHostId: string | null;
  urgencySec: number | null;
  expectedBenefit: number;
  reason: string;
  details: Record<string, unknown> | null;
  status: AnalyzerProposalStatus;
  migrationId: string | null;
  createdAt: Date;
  decidedBy: string | null;
  decidedAt: Date | null;
}

function toProposal(r: ProposalRow): AnalyzerProposalInfo {
  return {
    id: r.id,
    runId: r.runId,
    kind: (ANALYZER_PROPOSAL_KINDS as readonly string[]).includes(r.kind) ? (r.kind as AnalyzerProposalKind) : "split",
    streamId: r.streamId,
    shardletId: r.shardletId,
    sourceHostId: r.sourceHostId,
    destHostId: r.destHostId,
    urgencySec: r.urgencySec,
    expectedBenefit: r.expectedBenefit,
    reason: r.reason,
    details: r.details !== null && typeof r.details === "object" && !Array.isArray(r.details) ? r.details : null,
    status: (ANALYZER_PROPOSAL_STATUSES as readonly string[]).includes(r.status) ? (r.status as AnalyzerProposalStatus) : "open",
    migrationId: r.migrationId,
    createdAt: r.createdAt,
    decidedBy: r.decidedBy,
    decidedAt: r.decidedAt,
  };
}

/**
 * Stores a run's proposals as `open` and marks every older open proposal in the run's scope
 * `superseded` (a proposal stands for the latest forecast only). The scope is the run's streams;
 * add_host proposals are cluster-wide and replaced only by a run over every stream.
 */
export async function replaceAnalyzerProposals(
  db: ControlDb,
  runId: string,
  proposals: readonly NewAnalyzerProposal[],
  scope: { streamIds: readonly string[] | null },
): Promise<{ created: AnalyzerProposalInfo[]; superseded: number }> {
  return db.$transaction(async (tx) => {
    const where: Prisma.AnalyzerProposalWhereInput = scope.streamIds
      ? { status: "open", runId: { not: runId }, streamId: { in: [...scope.streamIds] } }
      : { status: "open", runId: { not: runId } };
    const superseded = await tx.analyzerProposal.updateMany({ where, data: { status: "superseded", decidedAt: new Date() } });
    const created =
      proposals.length === 0
        ? []
        : await tx.analyzerProposal.createManyAndReturn({
            data: proposals.map((p) => ({
              runId,
              kind: p.kind,
              streamId: p.streamId ?? null,
              shardletId: p.shardletId ?? null,
              sourceHostId: p.sourceHostId ?? null,
              destHostId: p.destHostId ?? null,
              urgencySec: p.urgencySec == null ? null : Math.round(p.urgencySec),
              expectedBenefit: p.expectedBenefit ?? 0,
              reason: p.reason,
              details: p.details == null ? Prisma.DbNull : (p.details as Prisma.InputJsonValue),
            })),
          });
    return { created: created.map(toProposal), superseded: superseded.count };
  });
}

export async function getAnalyzerProposal(db: ControlDb, id: string): Promise<AnalyzerProposalInfo | null> {
  const row = await db.analyzerProposal.findUnique({ where: { id } });
  return row ? toProposal(row) : null;
}

export async function listAnalyzerProposals(
  db: ControlDb,
  q: { status?: AnalyzerProposalStatus | "decided"; streamId?: string; shardletId?: string; kind?: AnalyzerProposalKind; limit: number },
): Promise<AnalyzerProposalInfo[]> {
  const rows = await db.analyzerProposal.findMany({
    where: {
      ...(q.status === "decided" ? { status: { in: ["applied", "dismissed"] } } : q.status ? { status: q.status } : {}),
      ...(q.streamId ? { streamId: q.streamId } : {}),
      ...(q.shardletId ? { shardletId: q.shardletId } : {}),
      ...(q.kind ? { kind: q.kind } : {}),
    },
    orderBy: [{ createdAt: "desc" }, { id: "desc" }],
    take: Math.max(1, Math.min(q.limit, 500)),
  });
  const list = rows.map(toProposal);
  // Open proposals read best most urgent first; history newest first.
  if (q.status === "open") list.sort((a, b) => (a.urgencySec ?? Infinity) - (b.urgencySec ?? Infinity) || b.expectedBenefit - a.expectedBenefit);
  return list;
}

function conflictFor(p: AnalyzerProposalInfo): ShardcastError {
  return new ShardcastError(
    "conflict",
    p.status === "superseded"
      ? "this proposal was replaced by a newer analyzer run; act on the current one"
      : `this proposal was already ${p.status}${p.decidedBy ? ` by ${p.decidedBy}` : ""}`,
    { status: p.status },
  );
}

async function decide(
  db: ControlDb,
  id: string,
  data: { status: "applied" | "dismissed"; decidedBy: string | null; migrationId?: string | null },
): Promise<AnalyzerProposalInfo> {
  const changed = await db.analyzerProposal.updateMany({
    where: { id, status: "open" },
    data: { status: data.status, decidedBy: data.decidedBy, decidedAt: new Date(), ...(data.migrationId ? { migrationId: data.migrationId } : {}) },
  });
  const p = await getAnalyzerProposal(db, id);
  if (!p) throw new ShardcastError("not_found", "no such proposal");
  if (changed.count === 0) throw conflictFor(p);
  return p;
}

/** An open proposal as it stands, or a clear error (missing, already decided, superseded). */
export async function openAnalyzerProposal(db: ControlDb, id: string, kind?: AnalyzerProposalKind): Promise<AnalyzerProposalInfo> {
  const p = await getAnalyzerProposal(db, id);
  if (!p) throw new ShardcastError("not_found", "no such proposal");
  if (kind && p.kind !== kind) throw new ShardcastError("bad_request", `this is a ${p.kind.replace("_", " ")} proposal, not ${kind.replace("_", " ")}`);
  if (p.status !== "open") throw conflictFor(p);
  return p;
}

export function dismissAnalyzerProposal(db: ControlDb, id: string, actor: string | null): Promise<AnalyzerProposalInfo> {
  return decide(db, id, { status: "dismissed", decidedBy: actor });
}

/** Marks an open proposal applied (with the migration it became); conflict when it is no longer open. */
export function markAnalyzerProposalApplied(db: ControlDb, id: string, opts: { actor: string | null; migrationId?: string | null }): Promise<AnalyzerProposalInfo> {
  return decide(db, id, { status: "applied", decidedBy: opts.actor, migrationId: opts.migrationId ?? null });
}

/** Records extra facts on a proposal (e.g. the provisioning result of an add_host). */
export async function addAnalyzerProposalDetails(db: ControlDb, id: string, extra: Record<string, unknown>): Promise<void> {
  const p = await getAnalyzerProposal(db, id);
  if (!p) throw new ShardcastError("not_found", "no such proposal");
  await db.analyzerProposal.update({ where: { id }, data: { details: { ...(p.details ?? {}), ...extra } as Prisma.InputJsonValue } });
}

/** Shardlets an applied split proposal asked to split since `since` (the split job may not have started yet). */
export async function recentlyAppliedSplits(db: ControlDb, since: Date): Promise<Set<string>> {
  const rows = await db.analyzerProposal.findMany({
    where: { kind: "split", status: "applied", decidedAt: { gte: since }, shardletId: { not: null } },
    select: { shardletId: true },
  });
  return new Set(rows.map((r) => r.shardletId!));
}

/** Shardlets with a migration that has not ended (proposed, approved, scheduled or running) -> its destination host. */
export async function shardletsInOpenMigrations(db: ControlDb): Promise<Map<string, string>> {
  const rows = await db.migration.findMany({
    where: { phase: { notIn: ["done", "failed", "cancelled", "rejected"] } },
    select: { shardletId: true, destHostId: true },
  });
  return new Map(rows.map((r) => [r.shardletId, r.destHostId]));
}

/** Shardlets whose migration finished since `since` (the analyzer's move cool-down). */
export async function recentlyMovedShardlets(db: ControlDb, since: Date): Promise<Set<string>> {
  const rows = await db.migration.findMany({ where: { phase: "done", finishedAt: { gte: since } }, select: { shardletId: true } });
  return new Set(rows.map((r) => r.shardletId));
}

/** What a migrate proposal carries for the migration workflow (in its details). */
export interface MigrateProposalDetails {
  bytesToMove: number;
  expectedLoad: Record<string, { before: number; after: number }>;
  feasibility: Record<string, { ok: boolean; detail: string }>;
  shardletEpoch: number;
}

export function migrateDetails(p: AnalyzerProposalInfo): MigrateProposalDetails {
  const d = p.details ?? {};
  const n = (v: unknown) => (typeof v === "number" && Number.isFinite(v) ? v : 0);
  return {
    bytesToMove: n(d.bytesToMove),
    expectedLoad: (typeof d.expectedLoad === "object" && d.expectedLoad !== null ? d.expectedLoad : {}) as MigrateProposalDetails["expectedLoad"],
    feasibility: (typeof d.feasibility === "object" && d.feasibility !== null ? d.feasibility : {}) as MigrateProposalDetails["feasibility"],
    shardletEpoch: n(d.shardletEpoch),
  };
}

/**
 * Hands an open migrate proposal to the migration workflow: a Migration row (origin `analyzer`)
 * in `phase` (`approved` starts it without another decision), and the proposal becomes `applied`
 * with the migration's id. Refused when the shardlet changed since the forecast (split, merged,
 * moved: its epoch or host differs) or already has an open migration.
 */
export async function applyMigrateProposal(
  db: ControlDb,
  id: string,
  opts: { actor: string; phase: "proposed" | "approved" },
): Promise<{ proposal: AnalyzerProposalInfo; migrationId: string }> {
  const p = await openAnalyzerProposal(db, id, "migrate");
  if (!p.streamId || !p.shardletId || !p.sourceHostId || !p.destHostId) throw new ShardcastError("internal", `migrate proposal ${id} lacks its shardlet or hosts`);
  const d = migrateDetails(p);
  const s = await db.shardlet.findUnique({ where: { id: p.shardletId }, select: { state: true, epoch: true, hostId: true } });
  if (!s || s.state !== "active" || s.hostId !== p.sourceHostId || (d.shardletEpoch > 0 && s.epoch !== d.shardletEpoch)) {
    throw new ShardcastError("conflict", "the shardlet changed since this was forecast (split, merged or moved); wait for the next analyzer run", { reason: "stale" });
  }
  const created = await createMigrationProposal(db, {
    streamId: p.streamId,
    shardletId: p.shardletId,
    sourceHostId: p.sourceHostId,
    destHostId: p.destHostId,
    origin: "analyzer",
    reason: p.reason,
    ...(p.urgencySec !== null ? { urgencySec: p.urgencySec } : {}),
    expectedBenefit: p.expectedBenefit,
    expectedLoad: d.expectedLoad,
    feasibility: d.feasibility,
    bytesToMove: d.bytesToMove,
    shardletEpoch: s.epoch,
    proposedBy: opts.actor,
    phase: opts.phase,
  });
  if (!created.created) {
    throw new ShardcastError("conflict", "this shardlet already has an open migration; decide on that one first", { migrationId: created.id });
  }
  const proposal = await markAnalyzerProposalApplied(db, id, { actor: opts.actor, migrationId: created.id });
  return { proposal, migrationId: created.id };
}

// ---- series ---------------------------------------------------------------------------------

/** The telemetry resolution (seconds) read for steps of `bucketSec`: the coarsest that divides it. */
export function resolutionForStep(bucketSec: number): number {
  let best: number | null = null;
  for (const r of TELEMETRY_RESOLUTIONS) if (r <= bucketSec && bucketSec % r === 0) best = r;
  if (best === null) throw new ShardcastError("bad_request", `step of ${bucketSec} s is not a multiple of a telemetry resolution`);
  return best;
}

/**
 * Writes per second per shardlet in steps of `bucketSec` over [fromMs, toMs) (both aligned to the
 * step), oldest first; a step without telemetry counts 0.
 */
export async function writeRateSeries(
  db: ControlDb,
  q: { streamIds?: readonly string[]; shardletIds?: readonly string[]; bucketSec: number; fromMs: number; toMs: number },
): Promise<Map<string, number[]>> {
  const stepMs = q.bucketSec * 1000;
  const steps = Math.max(0, Math.ceil((q.toMs - q.fromMs) / stepMs));
  const out = new Map<string, number[]>();
  if (steps === 0) return out;
  const resolution = resolutionForStep(q.bucketSec);
  const streamFilter = q.streamIds ? Prisma.sql`AND stream_id = ANY(${[...q.streamIds]}::text[])` : Prisma.empty;
  const shardletFilter = q.shardletIds ? Prisma.sql`AND shardlet_id = ANY(${[...q.shardletIds]}::text[])` : Prisma.empty;
  const rows = await db.$queryRaw<Array<{ shardlet_id: string; step: number; writes: number }>>`
    SELECT shardlet_id,
           floor((extract(epoch FROM bucket_start) * 1000 - ${q.fromMs}::float8) / ${stepMs}::float8)::int AS step,
           sum(writes)::float8 AS writes
    FROM telemetry_buckets
    WHERE resolution = ${resolution} AND bucket_start >= ${ts(q.fromMs)} AND bucket_start < ${ts(q.toMs)}
      ${streamFilter} ${shardletFilter}
    GROUP BY 1, 2`;
  for (const r of rows) {
    if (r.step < 0 || r.step >= steps) continue;
    let list = out.get(r.shardlet_id);
    if (!list) {
      list = new Array<number>(steps).fill(0);
      out.set(r.shardlet_id, list);
    }
    list[r.step] = r.writes / q.bucketSec;
  }
  return out;
}

/** The newest telemetry bucket (ms) at a resolution, or null when there is none. */
export async function latestTelemetryBucket(db: ControlDb, resolution: number, streamIds?: readonly string[]): Promise<number | null> {
  const row = await db.telemetryBucket.findFirst({
    where: { resolution, ...(streamIds ? { streamId: { in: [...streamIds] } } : {}) },
    orderBy: { bucketStart: "desc" },
    select: { bucketStart: true },
  });
  return row ? row.bucketStart.getTime() : null;
}

export interface HintWindow {
  streamId: string;
  lo: number;
  hi: number;
  eventsPerSec: number;
  startsAt: number;
  endsAt: number;
}

/** Client hints whose window overlaps [fromMs, toMs). */
export async function loadHintsBetween(db: ControlDb, q: { streamIds?: readonly string[]; fromMs: number; toMs: number }): Promise<HintWindow[]> {
  const rows = await db.loadHint.findMany({
    where: {
      ...(q.streamIds ? { streamId: { in: [...q.streamIds] } } : {}),
      endsAt: { gt: new Date(q.fromMs) },
      startsAt: { lt: new Date(q.toMs) },
    },
    select: { streamId: true, lo: true, hi: true, eventsPerSec: true, startsAt: true, endsAt: true },
  });
  return rows.map((r) => ({
    streamId: r.streamId,
    lo: num(r.lo),
    hi: num(r.hi),
    eventsPerSec: r.eventsPerSec,
    startsAt: r.startsAt.getTime(),
    endsAt: r.endsAt.getTime(),
  }));
}
