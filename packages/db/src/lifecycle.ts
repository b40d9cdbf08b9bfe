import { LIFECYCLE_SETTINGS_KEY, lifecycleSettingsSchema, ShardcastError, type LifecycleSettings } from "@shardcast/core";
import type { ControlDb } from "./client.ts";
import { num } from "./errors.ts";
import type { LifecycleJob as LifecycleJobRow } from "./generated/prisma/client.ts";
import { operationData, type NewOperation } from "./operations.ts";
import { mergeSettingsObject, type SettingActor } from "./settings.ts";

/**
 * Control-database side of splits and merges: the persisted job (its phase is written before each
 * step, so a restarted worker resumes where the last one stopped), the pending children and the
 * switch of shardlet states, and the lifecycle settings.
 */

/** `handoff`: one source sealed on its host, one successor with its range opened on `destHostId`. */
export type LifecycleKind = "split" | "merge" | "handoff";

const LIFECYCLE_KINDS: readonly string[] = ["split", "merge", "handoff"];

/** Phases in order; `failed` ends a job that gave up before it changed anything. */
export const LIFECYCLE_PHASES = ["planned", "locked", "fenced", "moving", "switching", "draining", "done"] as const;
export type LifecycleStep = (typeof LIFECYCLE_PHASES)[number];
export type LifecyclePhase = LifecycleStep | "failed";

export function isLifecyclePhase(value: string): value is LifecyclePhase {
  return value === "failed" || (LIFECYCLE_PHASES as readonly string[]).includes(value);
}

export interface LifecycleJobInfo {
  id: string;
  kind: LifecycleKind;
  streamId: string;
  hostId: string;
  /** Where a hand-off opens the successor; null for splits and merges (children stay on hostId). */
  destHostId: string | null;
  phase: LifecyclePhase;
  /** One shardlet for a split, the left and right neighbours for a merge. */
  sourceIds: string[];
  /** Two children for a split (left, right), one for a merge. */
  childIds: string[];
  /** First hash of the right child (splits). */
  splitAt: number | null;
  reason: string;
  actor: string | null;
  attempts: number;
  error: string | null;
  /**
   * Rows the children took over. Membership is the key-hash range, so none of them was rewritten;
   * the name (and column) date from when splits re-labelled rows.
   */
  rowsMoved: number;
  drained: number;
  createdAt: Date;
  updatedAt: Date;
  finishedAt: Date | null;
}

function toJob(r: LifecycleJobRow): LifecycleJobInfo {
  if (!LIFECYCLE_KINDS.includes(r.kind)) throw new ShardcastError("internal", `lifecycle job ${r.id} has unknown kind ${r.kind}`);
  if (!isLifecyclePhase(r.phase)) throw new ShardcastError("internal", `lifecycle job ${r.id} has unknown phase ${r.phase}`);
  return {
    id: r.id,
    kind: r.kind as LifecycleKind,
    streamId: r.streamId,
    hostId: r.hostId,
    destHostId: r.destHostId,
    phase: r.phase,
    sourceIds: r.sourceIds,
    childIds: r.childIds,
    splitAt: r.splitAt === null ? null : num(r.splitAt),
    reason: r.reason,
    actor: r.actor,
    attempts: r.attempts,
    error: r.error,
    rowsMoved: num(r.rowsMoved),
    drained: num(r.drained),
    createdAt: r.createdAt,
    updatedAt: r.updatedAt,
    finishedAt: r.finishedAt,
  };
}

export interface NewLifecycleJob {
  kind: LifecycleKind;
  streamId: string;
  hostId: string;
  destHostId?: string | null;
  sourceIds: string[];
  childIds: string[];
  splitAt?: number | null;
  reason: string;
  actor?: string | null;
}

/**
 * Persists a planned job, unless an unfinished job already changes one of its sources: then that
 * job is returned (`created: false`) for the caller to resume or leave alone. Per-source advisory
 * locks make the check and the insert atomic against a concurrent planner.
 */
export async function createLifecycleJob(db: ControlDb, input: NewLifecycleJob): Promise<{ job: LifecycleJobInfo; created: boolean }> {
  if (input.sourceIds.length === 0 || input.childIds.length === 0) throw new ShardcastError("bad_request", "a lifecycle job needs sources and children");
  return db.$transaction(async (tx) => {
    for (const id of [...input.sourceIds].sort()) {
      await tx.$queryRaw`SELECT 1 AS ok FROM (SELECT pg_advisory_xact_lock(hashtextextended(${`lifecycle:${id}`}, 0))) AS l`;
    }
    const existing = await tx.lifecycleJob.findFirst({
      where: { finishedAt: null, sourceIds: { hasSome: input.sourceIds } },
      orderBy: { createdAt: "asc" },
    });
    if (existing) return { job: toJob(existing), created: false };
    const row = await tx.lifecycleJob.create({
      data: {
        kind: input.kind,
        streamId: input.streamId,
        hostId: input.hostId,
        destHostId: input.destHostId ?? null,
        phase: "planned",
        sourceIds: input.sourceIds,
        childIds: input.childIds,
        splitAt: input.splitAt == null ? null : BigInt(input.splitAt),
        reason: input.reason,
        actor: input.actor ?? null,
      },
    });
    return { job: toJob(row), created: true };
  });
}

export async function getLifecycleJob(db: ControlDb, id: string): Promise<LifecycleJobInfo | null> {
  const row = await db.lifecycleJob.findUnique({ where: { id } });
  return row ? toJob(row) : null;
}

/** The unfinished job that changes this shardlet (as a source), if any. */
export async function findUnfinishedLifecycleJob(db: ControlDb, shardletId: string): Promise<LifecycleJobInfo | null> {
  const row = await db.lifecycleJob.findFirst({ where: { finishedAt: null, sourceIds: { has: shardletId } }, orderBy: { createdAt: "asc" } });
  return row ? toJob(row) : null;
}

/**
 * Moves a job from phase `from` to `to`; false (nothing written) when the job is no longer at
 * `from`, i.e. another runner moved it. Clears the last error.
 */
export async function advanceLifecycleJob(
  db: ControlDb,
  id: string,
  from: LifecyclePhase,
  to: LifecyclePhase,
  patch: { rowsMoved?: number; drained?: number } = {},
): Promise<boolean> {
  const { count } = await db.lifecycleJob.updateMany({
    where: { id, phase: from, finishedAt: null },
    data: {
      phase: to,
      error: null,
      ...(patch.rowsMoved !== undefined ? { rowsMoved: BigInt(Math.round(patch.rowsMoved)) } : {}),
      ...(patch.drained !== undefined ? { drained: BigInt(Math.round(patch.drained)) } : {}),
    },
  });
  return count === 1;
}

/** Progress figures of a running job (not its phase). */
export async function updateLifecycleProgress(
  db: ControlDb,
  id: string,
  patch: { rowsMoved?: number; drainedAdd?: number; error?: string | null },
): Promise<void> {
  await db.lifecycleJob.update({
    where: { id },
    data: {
      ...(patch.rowsMoved !== undefined ? { rowsMoved: BigInt(Math.round(patch.rowsMoved)) } : {}),
      ...(patch.drainedAdd ? { drained: { increment: BigInt(Math.round(patch.drainedAdd)) } } : {}),
      ...(patch.error !== undefined ? { error: patch.error === null ? null : patch.error.slice(0, 1000) } : {}),
    },
  });
}

/**
 * Counts a run of the job (after its locks were taken) and returns the job as it is now. A job
 * still at `planned` moves to `locked` in the same write (`fromPlanned`): `planned` has no step
 * (the split point and child ids were chosen when it was created), so this saves a round trip
 * while the locks are held.
 */
export async function startLifecycleAttempt(db: ControlDb, id: string): Promise<{ job: LifecycleJobInfo; fromPlanned: boolean }> {
  try {
    // Matches only an unfinished job at `planned` (Prisma throws P2025 when nothing matches).
    const row = await db.lifecycleJob.update({
      where: { id, phase: "planned", finishedAt: null },
      data: { attempts: { increment: 1 }, phase: "locked", error: null },
    });
    return { job: toJob(row), fromPlanned: true };
  } catch (err) {
    if ((err as { code?: unknown }).code !== "P2025") throw err;
  }
  const row = await db.lifecycleJob.update({ where: { id }, data: { attempts: { increment: 1 } } });
  return { job: toJob(row), fromPlanned: false };
}

/**
 * Ends a job that gave up before it changed anything (the sources stay authoritative) and logs
 * the operation. False when the job had already finished.
 */
export async function failLifecycleJob(db: ControlDb, id: string, error: string, op: NewOperation): Promise<boolean> {
  return db.$transaction(async (tx) => {
    const { count } = await tx.lifecycleJob.updateMany({
      where: { id, finishedAt: null },
      data: { phase: "failed", error: error.slice(0, 1000), finishedAt: new Date() },
    });
    if (count === 1) await tx.operation.create({ data: operationData(op) });
    return count === 1;
  });
}

/** Marks a job done and logs its operation in one transaction; false when it was already finished. */
export async function finishLifecycleJob(db: ControlDb, id: string, op: NewOperation): Promise<boolean> {
  return db.$transaction(async (tx) => {
    const { count } = await tx.lifecycleJob.updateMany({
      where: { id, finishedAt: null },
      data: { phase: "done", error: null, finishedAt: new Date() },
    });
    if (count === 1) await tx.operation.create({ data: operationData(op) });
    return count === 1;
  });
}

/** Unfinished jobs, oldest first; `updatedBefore` keeps only those idle since then (stalled). */
export async function listUnfinishedLifecycleJobs(db: ControlDb, filter: { updatedBefore?: Date; streamId?: string } = {}): Promise<LifecycleJobInfo[]> {
  const rows = await db.lifecycleJob.findMany({
    where: {
      finishedAt: null,
      ...(filter.updatedBefore ? { updatedAt: { lt: filter.updatedBefore } } : {}),
      ...(filter.streamId ? { streamId: filter.streamId } : {}),
    },
    orderBy: { createdAt: "asc" },
  });
  return rows.map(toJob);
}

/** Newest first. */
export async function listLifecycleJobs(db: ControlDb, query: { limit: number; streamId?: string }): Promise<LifecycleJobInfo[]> {
  const rows = await db.lifecycleJob.findMany({
    where: query.streamId ? { streamId: query.streamId } : {},
    orderBy: [{ createdAt: "desc" }, { id: "desc" }],
    take: Math.max(1, Math.min(query.limit, 1000)),
  });
  return rows.map(toJob);
}

/** Adds events that reached shardlets through an overflow log to their contention counters. */
export async function addFallbackCounts(db: ControlDb, counts: ReadonlyMap<string, number>): Promise<void> {
  const entries = [...counts].filter(([, n]) => n > 0);
  if (entries.length === 0) return;
  const ids = entries.map(([id]) => id);
  // Locked in id order first, like every multi-row shardlet update (see writeShardletFigures).
  await db.$executeRaw`
    WITH l AS MATERIALIZED (SELECT id FROM shardlets WHERE id = ANY(${ids}::text[]) ORDER BY id FOR UPDATE)
    UPDATE shardlets AS s SET fallback_count = s.fallback_count + t.n
    FROM l, unnest(${ids}::text[], ${entries.map(([, n]) => Math.round(n))}::bigint[]) AS t(id, n)
    WHERE s.id = l.id AND t.id = l.id`;
}

/** The lifecycle settings as stored (defaults for what is missing). */
export async function getLifecycleSettings(db: ControlDb): Promise<LifecycleSettings> {
  const row = await db.setting.findUnique({ where: { key: LIFECYCLE_SETTINGS_KEY } });
  const parsed = lifecycleSettingsSchema.safeParse(row?.value ?? {});
  // A stored value that no longer validates (an older release's shape) falls back to defaults
  // rather than stopping the manager; saving the form again repairs it.
  return parsed.success ? parsed.data : lifecycleSettingsSchema.parse({});
}

/**
 * Validates and stores the lifecycle settings (a partial value is merged over the current one),
 * auditing the change. Invalid values are rejected with `validation_failed`, one issue per field.
 */
export function updateLifecycleSettings(db: ControlDb, value: Partial<LifecycleSettings>, actor: SettingActor | null): Promise<LifecycleSettings> {
  return mergeSettingsObject(db, LIFECYCLE_SETTINGS_KEY, lifecycleSettingsSchema, "lifecycle", value, actor);
}
