import { ShardcastError } from "@shardcast/core";
import type { ControlDb } from "./client.ts";
import { num } from "./errors.ts";
import { operationInsertSql, operationParams, type NewOperation } from "./operations.ts";
import { msOf, newRowId, sqlRows, sqlTransaction, utc } from "./sql.ts";

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

/**
 * The job's columns in plain SQL. A split, merge or hand-off makes some twenty statements on its
 * job, most while its sources are op-locked: through Prisma each cost about a millisecond of the
 * worker's CPU to compile (see sql.ts), on the cores the writes need.
 */
function jobColumns(t = ""): string {
  return (
    `${t}id, ${t}kind, ${t}stream_id AS "streamId", ${t}host_id AS "hostId", ${t}dest_host_id AS "destHostId", ${t}phase, ` +
    `${t}source_ids AS "sourceIds", ${t}child_ids AS "childIds", ${t}split_at::float8 AS "splitAt", ${t}reason, ${t}actor, ${t}attempts, ` +
    `${t}error, ${t}rows_moved::float8 AS "rowsMoved", ${t}drained::float8 AS drained, ${msOf(`${t}created_at`)} AS "createdAtMs", ` +
    `${msOf(`${t}updated_at`)} AS "updatedAtMs", ${msOf(`${t}finished_at`)} AS "finishedAtMs"`
  );
}

const JOB_COLUMNS = jobColumns();

type JobRow = Omit<LifecycleJobInfo, "kind" | "phase" | "createdAt" | "updatedAt" | "finishedAt"> & {
  kind: string;
  phase: string;
  createdAtMs: number;
  updatedAtMs: number;
  finishedAtMs: number | null;
};

function toJob(r: JobRow): LifecycleJobInfo {
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
    attempts: num(r.attempts),
    error: r.error,
    rowsMoved: num(r.rowsMoved),
    drained: num(r.drained),
    createdAt: new Date(r.createdAtMs),
    updatedAt: new Date(r.updatedAtMs),
    finishedAt: r.finishedAtMs === null ? null : new Date(r.finishedAtMs),
  };
}

async function jobRows(db: ControlDb, where: string, values: readonly unknown[]): Promise<LifecycleJobInfo[]> {
  return (await sqlRows<JobRow>(db, `SELECT ${JOB_COLUMNS} FROM lifecycle_jobs WHERE ${where}`, values)).map(toJob);
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
  return sqlTransaction(db, async (q) => {
    for (const id of [...input.sourceIds].sort()) {
      await q(`SELECT 1 AS ok FROM (SELECT pg_advisory_xact_lock(hashtextextended($1, 0))) AS l`, [`lifecycle:${id}`]);
    }
    const [existing] = await q<JobRow>(
      `SELECT ${JOB_COLUMNS} FROM lifecycle_jobs WHERE finished_at IS NULL AND source_ids && $1::text[] ORDER BY created_at ASC LIMIT 1`,
      [input.sourceIds],
    );
    if (existing) return { job: toJob(existing), created: false };
    const now = utc(new Date());
    const [row] = await q<JobRow>(
      `INSERT INTO lifecycle_jobs (id, kind, stream_id, host_id, dest_host_id, phase, source_ids, child_ids, split_at, reason, actor, created_at, updated_at)
       VALUES ($1, $2, $3, $4, $5, 'planned', $6::text[], $7::text[], $8::bigint, $9, $10, $11::timestamp, $11::timestamp)
       RETURNING ${JOB_COLUMNS}`,
      [
        newRowId(),
        input.kind,
        input.streamId,
        input.hostId,
        input.destHostId ?? null,
        input.sourceIds,
        input.childIds,
        input.splitAt == null ? null : Math.round(input.splitAt),
        input.reason,
        input.actor ?? null,
        now,
      ],
    );
    return { job: toJob(row!), created: true };
  });
}

export async function getLifecycleJob(db: ControlDb, id: string): Promise<LifecycleJobInfo | null> {
  return (await jobRows(db, "id = $1", [id]))[0] ?? null;
}

/** The unfinished job that changes this shardlet (as a source), if any. */
export async function findUnfinishedLifecycleJob(db: ControlDb, shardletId: string): Promise<LifecycleJobInfo | null> {
  return (await jobRows(db, "finished_at IS NULL AND $1 = ANY(source_ids) ORDER BY created_at ASC LIMIT 1", [shardletId]))[0] ?? null;
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
  const rows = await sqlRows<{ id: string }>(
    db,
    `UPDATE lifecycle_jobs SET phase = $3, error = NULL, updated_at = $4::timestamp,
       rows_moved = coalesce($5::bigint, rows_moved), drained = coalesce($6::bigint, drained)
     WHERE id = $1 AND phase = $2 AND finished_at IS NULL RETURNING id`,
    [
      id,
      from,
      to,
      utc(new Date()),
      patch.rowsMoved === undefined ? null : Math.round(patch.rowsMoved),
      patch.drained === undefined ? null : Math.round(patch.drained),
    ],
  );
  return rows.length === 1;
}

/** Progress figures of a running job (not its phase). */
export async function updateLifecycleProgress(
  db: ControlDb,
  id: string,
  patch: { rowsMoved?: number; drainedAdd?: number; error?: string | null },
): Promise<void> {
  await sqlRows(
    db,
    `UPDATE lifecycle_jobs SET updated_at = $2::timestamp, rows_moved = coalesce($3::bigint, rows_moved), drained = drained + $4::bigint,
       error = CASE WHEN $5::boolean THEN $6::text ELSE error END
     WHERE id = $1`,
    [
      id,
      utc(new Date()),
      patch.rowsMoved === undefined ? null : Math.round(patch.rowsMoved),
      Math.round(patch.drainedAdd ?? 0),
      patch.error !== undefined,
      patch.error == null ? null : patch.error.slice(0, 1000),
    ],
  );
}

/**
 * Counts a run of the job (after its locks were taken) and returns the job as it is now. A job
 * still at `planned` moves to `locked` in the same write (`fromPlanned`): `planned` has no step
 * (the split point and child ids were chosen when it was created), so this saves a round trip
 * while the locks are held. With `checkedTo`, a job at `planned` or `locked` moves on to that
 * phase instead: the run already made `locked`'s checks under its locks (`checked` says whether it
 * did); another run that moved the job meanwhile leaves it where it is.
 */
export async function startLifecycleAttempt(
  db: ControlDb,
  id: string,
  checkedTo: LifecyclePhase | null = null,
): Promise<{ job: LifecycleJobInfo; fromPlanned: boolean; checked: boolean }> {
  // The phase before the update is read in the same statement (the FROM's row is the old one).
  const [row] = await sqlRows<JobRow & { fromPlanned: boolean; checked: boolean }>(
    db,
    `UPDATE lifecycle_jobs AS j SET attempts = j.attempts + 1, updated_at = $2::timestamp,
       phase = CASE WHEN old.startable AND $3::text IS NOT NULL THEN $3::text WHEN old.planned THEN 'locked' ELSE j.phase END,
       error = CASE WHEN old.planned OR (old.startable AND $3::text IS NOT NULL) THEN NULL ELSE j.error END
     FROM (SELECT id, phase = 'planned' AND finished_at IS NULL AS planned, phase IN ('planned', 'locked') AND finished_at IS NULL AS startable
           FROM lifecycle_jobs WHERE id = $1 FOR UPDATE) AS old
     WHERE j.id = old.id
     RETURNING ${jobColumns("j.")}, old.planned AS "fromPlanned", old.startable AND $3::text IS NOT NULL AS checked`,
    [id, utc(new Date()), checkedTo],
  );
  if (!row) throw new ShardcastError("not_found", `unknown lifecycle job ${id}`);
  return { job: toJob(row), fromPlanned: row.fromPlanned, checked: row.checked };
}

/** Ends the job at `phase` and records its operation in one statement; false when it had already finished. */
async function endJob(db: ControlDb, id: string, phase: "done" | "failed", error: string | null, op: NewOperation): Promise<boolean> {
  const at = new Date();
  const rows = await sqlRows<{ id: string }>(
    db,
    `WITH j AS (
       UPDATE lifecycle_jobs SET phase = $2, error = $3, finished_at = $4::timestamp, updated_at = $4::timestamp
       WHERE id = $1 AND finished_at IS NULL RETURNING id
     ), op AS (${operationInsertSql(5, "j")})
     SELECT id FROM j`,
    [id, phase, error, utc(at), ...operationParams(op, at)],
  );
  return rows.length === 1;
}

/**
 * Ends a job that gave up before it changed anything (the sources stay authoritative) and logs
 * the operation. False when the job had already finished.
 */
export async function failLifecycleJob(db: ControlDb, id: string, error: string, op: NewOperation): Promise<boolean> {
  return endJob(db, id, "failed", error.slice(0, 1000), op);
}

/** Marks a job done and logs its operation in one statement; false when it was already finished. */
export async function finishLifecycleJob(db: ControlDb, id: string, op: NewOperation): Promise<boolean> {
  return endJob(db, id, "done", null, op);
}

/** Unfinished jobs, oldest first; `updatedBefore` keeps only those idle since then (stalled). */
export async function listUnfinishedLifecycleJobs(db: ControlDb, filter: { updatedBefore?: Date; streamId?: string } = {}): Promise<LifecycleJobInfo[]> {
  return jobRows(
    db,
    "finished_at IS NULL AND ($1::timestamp IS NULL OR updated_at < $1::timestamp) AND ($2::text IS NULL OR stream_id = $2) ORDER BY created_at ASC",
    [filter.updatedBefore ? utc(filter.updatedBefore) : null, filter.streamId ?? null],
  );
}

/** Newest first. */
export async function listLifecycleJobs(db: ControlDb, query: { limit: number; streamId?: string }): Promise<LifecycleJobInfo[]> {
  return jobRows(db, "($1::text IS NULL OR stream_id = $1) ORDER BY created_at DESC, id DESC LIMIT $2", [query.streamId ?? null, Math.max(1, Math.min(query.limit, 1000))]);
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
