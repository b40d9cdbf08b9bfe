import { isMigrationPhase, ShardcastError, type MigrationPhase, type MoveMode } from "@shardcast/core";
import { msOf } from "./sql.ts";

/**
 * A migration's row in plain SQL: the mover reads and counts it on every run, and a hand-off's
 * run is short enough that Prisma's per-query compilation was a large part of its CPU (see sql.ts).
 */

export interface MigrationRun {
  id: string;
  streamId: string;
  shardletId: string;
  sourceHostId: string;
  destHostId: string;
  phase: MigrationPhase;
  origin: string;
  /** `handoff` seals the shardlet and opens a successor on the destination; `copy` moves its history. */
  mode: MoveMode;
  reason: string;
  /** Shardlet epoch at the proposal (0: not recorded; the start records the epoch it found). */
  shardletEpoch: number;
  rowsTotal: number;
  rowsCopied: number;
  /** Everything at or below this sequence is on the destination (copied, later verified). */
  copyCursor: number;
  copyTarget: number | null;
  copyRate: number;
  windowStart: Date | null;
  windowEnd: Date | null;
  cancelRequested: boolean;
  attempts: number;
  error: string | null;
  proposedBy: string | null;
  decidedBy: string | null;
  createdAt: Date;
  updatedAt: Date;
  startedAt: Date | null;
  finishedAt: Date | null;
}

const COLUMNS =
  `id, stream_id AS "streamId", shardlet_id AS "shardletId", source_host_id AS "sourceHostId", dest_host_id AS "destHostId", phase, origin, ` +
  `mode, reason, shardlet_epoch AS "shardletEpoch", rows_total::float8 AS "rowsTotal", rows_copied::float8 AS "rowsCopied", ` +
  `copy_cursor::float8 AS "copyCursor", copy_target::float8 AS "copyTarget", copy_rate AS "copyRate", ${msOf("window_start")} AS "windowStartMs", ` +
  `${msOf("window_end")} AS "windowEndMs", cancel_requested AS "cancelRequested", attempts, error, proposed_by AS "proposedBy", ` +
  `decided_by AS "decidedBy", ${msOf("created_at")} AS "createdAtMs", ${msOf("updated_at")} AS "updatedAtMs", ${msOf("started_at")} AS "startedAtMs", ` +
  `${msOf("finished_at")} AS "finishedAtMs"`;

/** The columns `toMigration` reads, for a SELECT or a RETURNING on `migrations`. */
export const MIGRATION_RUN_COLUMNS = COLUMNS;

type Dates = "windowStart" | "windowEnd" | "createdAt" | "updatedAt" | "startedAt" | "finishedAt";

export type MigrationRunRow = Omit<MigrationRun, "phase" | "mode" | Dates> & {
  phase: string;
  mode: string;
  windowStartMs: number | null;
  windowEndMs: number | null;
  createdAtMs: number;
  updatedAtMs: number;
  startedAtMs: number | null;
  finishedAtMs: number | null;
};

const date = (ms: number | null): Date | null => (ms === null ? null : new Date(ms));

export function toMigration(r: MigrationRunRow): MigrationRun {
  if (!isMigrationPhase(r.phase)) throw new ShardcastError("internal", `migration ${r.id} has unknown phase ${r.phase}`);
  return {
    id: r.id,
    streamId: r.streamId,
    shardletId: r.shardletId,
    sourceHostId: r.sourceHostId,
    destHostId: r.destHostId,
    phase: r.phase,
    origin: r.origin,
    mode: r.mode === "handoff" ? "handoff" : "copy",
    reason: r.reason,
    shardletEpoch: r.shardletEpoch,
    rowsTotal: r.rowsTotal,
    rowsCopied: r.rowsCopied,
    copyCursor: r.copyCursor,
    copyTarget: r.copyTarget,
    copyRate: r.copyRate,
    windowStart: date(r.windowStartMs),
    windowEnd: date(r.windowEndMs),
    cancelRequested: r.cancelRequested,
    attempts: r.attempts,
    error: r.error,
    proposedBy: r.proposedBy,
    decidedBy: r.decidedBy,
    createdAt: new Date(r.createdAtMs),
    updatedAt: new Date(r.updatedAtMs),
    startedAt: date(r.startedAtMs),
    finishedAt: date(r.finishedAtMs),
  };
}
