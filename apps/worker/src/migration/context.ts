import { ShardcastError, sleep, type MigrationPhase, type MigrationSettings } from "@shardcast/core";
import {
  appendMigrationEvent,
  hostError,
  loadMigrationRun,
  migrationCancelRequested,
  updateMigrationProgress,
  type HostDriver,
  type MigrationLogLine,
  type MigrationRange,
  type MigrationRun,
} from "@shardcast/db";
import type { WorkerDeps } from "../deps.ts";
import { probeErrorMessage } from "../domain/health.ts";
import { checkAborted } from "../domain/abort.ts";
import type { MigrationStep } from "./options.ts";

/** What every step of one run works with, loaded once per run. */
export interface MigrationContext {
  deps: WorkerDeps;
  /** The migration as last read or written by this run. */
  m: MigrationRun;
  settings: MigrationSettings;
  range: MigrationRange;
  shardId: string;
  /** Home host of the shardlet's shard: where its overflow log lives. */
  homeHostId: string;
  source: HostDriver;
  /** Null when the destination host is no longer registered: see `destination()` in destination.ts. */
  dest: HostDriver | null;
  /** Aborted when the job times out or is cancelled, or when this run loses its run lock. */
  signal: AbortSignal;
  /**
   * Whether the source and destination are one database (see same-database.ts): why they look
   * so, null when they do not, undefined until this run checked. When they are, nothing may be
   * deleted from either: the destination's rows are the source's.
   */
  sharedDatabase: string | null | undefined;
  /**
   * A history copy: a `copy` of a sealed shardlet (or of one retention retired while it ran), whose
   * rows move without shadow writes (history-copy.ts). Read once per run.
   */
  history: boolean;
}

/**
 * The fencing epochs of a migration, all derived from the epoch the shardlet had when the copy
 * started, so that every step (and every resumed run) uses the same numbers: the copy raises it by
 * one (writers reload their routes and learn of the shadow host), the switch by one more.
 */
export function migrationEpochs(m: MigrationRun): { start: number; copy: number; switched: number } {
  return { start: m.shardletEpoch, copy: m.shardletEpoch + 1, switched: m.shardletEpoch + 2 };
}

/** How a phase's work ended. */
export interface DestinationProblem {
  /** For the event log, after "the destination host <name> ...". */
  reason: string;
  /** Gone for good (its database dropped, its host no longer registered): no later run reaches it. */
  permanent: boolean;
}

/** A destination just found unreachable, with its host's name for the log: what a give-up passes on instead of asking again. */
export interface LostDestination {
  problem: DestinationProblem;
  hostName: string;
}

export type StepOutcome =
  /** The phase moved on (persisted): continue with the next one. */
  | { kind: "next" }
  /** Nothing to do until `resumeAt` (window not open, grace period, a lock held elsewhere). */
  | { kind: "paused"; resumeAt: number; reason: string }
  /** Cleanup finished: the migration is done. */
  | { kind: "done"; message: string }
  /** Before the switch: give the migration up (the destination is cleaned, the source stays). */
  | { kind: "abort"; to: "failed" | "cancelled"; why: string; lost?: LostDestination };

export const NEXT: StepOutcome = { kind: "next" };

export function paused(resumeAt: number, reason: string): StepOutcome {
  return { kind: "paused", resumeAt, reason };
}

/** Appends a line to the migration's event log, in the phase the migration is in. */
export async function note(ctx: MigrationContext, line: MigrationLogLine, phase: MigrationPhase = ctx.m.phase): Promise<void> {
  await appendMigrationEvent(ctx.deps.db, { migrationId: ctx.m.id, phase, ...line });
}

/** Re-reads the migration (its phase or cancel flag may have been changed by a decision). */
export async function reload(ctx: MigrationContext): Promise<MigrationRun> {
  const m = await loadMigrationRun(ctx.deps.db, ctx.m.id);
  if (!m) throw new ShardcastError("not_found", `migration ${ctx.m.id} was deleted`);
  ctx.m = m;
  return m;
}

/** Whether a cancel was requested since the run last looked (one small read). */
export async function cancelRequested(ctx: MigrationContext): Promise<boolean> {
  const requested = await migrationCancelRequested(ctx.deps.db, ctx.m.id);
  if (requested) ctx.m.cancelRequested = true;
  return requested;
}

export async function afterStep(ctx: MigrationContext, step: MigrationStep): Promise<void> {
  await ctx.deps.migration?.hooks?.afterStep?.(step, ctx.m);
}

export async function afterPhase(ctx: MigrationContext, phase: MigrationPhase): Promise<void> {
  ctx.m.phase = phase;
  await ctx.deps.migration?.hooks?.afterPhase?.(phase, ctx.m);
}

/** Connection loss, timeouts and restarts of a host (see `hostError`), not SQL errors. */
export function isTransientHostError(err: unknown): boolean {
  const mapped = hostError(err, "migration");
  return mapped instanceof ShardcastError && mapped.code === "unavailable";
}

/**
 * Runs a host operation (idempotent), retrying it with backoff when the host is unreachable or
 * restarting. Each retry is logged on the migration (event log and its `error` field); after the
 * configured retries the error goes to the job, whose own retry resumes the phase.
 */
export async function withHostRetry<T>(ctx: MigrationContext, what: string, fn: () => Promise<T>): Promise<T> {
  const retries = ctx.deps.migration?.hostRetries ?? 5;
  let delay = ctx.deps.migration?.hostRetryDelayMs ?? 250;
  for (let attempt = 1; ; attempt++) {
    checkAborted(ctx.signal);
    try {
      return await fn();
    } catch (err) {
      if (attempt > retries || !isTransientHostError(err)) throw err;
      const message = `${what}: host error, retry ${attempt} of ${retries} in ${delay} ms: ${probeErrorMessage(err)}`;
      ctx.deps.log.warn("migration host error, retrying", { migrationId: ctx.m.id, what, attempt, error: probeErrorMessage(err) });
      await Promise.all([
        note(ctx, { level: "warn", message, details: { what, attempt } }),
        updateMigrationProgress(ctx.deps.db, ctx.m.id, { error: message }),
      ]).catch(() => undefined);
      await sleep(delay, ctx.signal);
      delay = Math.min(4_000, delay * 2);
    }
  }
}

/** Writes the routes change to the edges; a lost announcement is caught by fence rejections and refreshes. */
export async function announce(ctx: MigrationContext): Promise<void> {
  if (!ctx.deps.announce) return;
  try {
    await ctx.deps.announce(ctx.range.streamId);
  } catch (err) {
    ctx.deps.log.warn("routing announcement failed", { streamId: ctx.range.streamId, error: probeErrorMessage(err) });
  }
}
