import { ShardcastError, type RoutePatch } from "@shardcast/core";
import {
  getHostStatus,
  LIFECYCLE_PHASES,
  listLifecycleSources,
  migratingShardletIds,
  streamExists,
  type FenceState,
  type HostDriver,
  type LifecycleJobInfo,
  type LifecycleKind,
  type LifecycleStep,
  type PhaseAdvance,
  loadRoutes,
} from "@shardcast/db";
import type { WorkerDeps } from "../deps.ts";
import { probeErrorMessage } from "../domain/health.ts";
import type { HeldLocks } from "./locks.ts";
import { handoffRange, mergeRange, splitRanges, toSourceShardlet, type ChildRange, type SourceShardlet } from "./shape.ts";

/** What the `locked` step checks: the sources' fences on their host, a hand-off's destination, and migrations of the sources. */
export interface LockedReads {
  fences: Array<FenceState | null>;
  dest: HostStatusRow | null;
  migrating: string[];
}

/** What a step needs, loaded once per run. */
export interface RunContext {
  deps: WorkerDeps;
  job: LifecycleJobInfo;
  /** The sources' op-locks; null once released (the `done` step runs after the release). */
  lock: HeldLocks | null;
  signal: AbortSignal | undefined;
  sources: SourceShardlet[];
  children: ChildRange[];
  /** The sources' host. */
  driver: HostDriver;
  /** Where the children open: the destination of a hand-off, else the sources' host. */
  childHostId: string;
  childDriver: HostDriver;
  homeHostId: string;
  /** Capacity of the children (the lifecycle settings, read before the locks were taken). */
  childCapacityBytes: number;
  /** What `locked` checks, read as soon as the locks were taken, beside the attempt's own statements. */
  lockedReads: Promise<LockedReads> | null;
  /** Epoch ms when this run got its locks, and when it let them go. */
  lockedAt: number;
  unlockedAt: number | null;
  /** Epoch ms when this run announced the switch (edges route to the children from then on). */
  switchedAt: number | null;
  /** Whether this run raised the sources' host fences (else `moving` makes sure of it first). */
  sourcesFenced?: boolean;
  /** Whether this run prepared a hand-off's successor on its host (else `switching` makes sure of it first). */
  successorPrepared?: boolean;
  /** Whether this run switched a hand-off's fences on the hosts (else a run resumed at `draining` makes sure of it first). */
  hostsSwitched?: boolean;
  /** Whether this run's drain cleared the children's overflow-pending flags and told the edges so. */
  flagsAnnounced: boolean;
  /** Milliseconds per step in this run, for the operations log. */
  timings: Partial<Record<LifecycleStep, number>>;
  /**
   * Records a step made under the locks that need not hold them (the drain's figures and its
   * operations-log entry): written once the locks are let go, so producers' events stop going to
   * the overflow log that much sooner.
   */
  afterUnlock: Array<() => Promise<unknown>>;
}

/**
 * The phase after `phase`. A hand-off skips `moving`: its `fenced` step prepares the successor
 * beside the fence raise, since it counts nothing (a job persisted at `moving` still runs it).
 */
export function nextPhase(phase: LifecycleStep, kind: LifecycleKind): LifecycleStep {
  if (kind === "handoff" && phase === "fenced") return "switching";
  return LIFECYCLE_PHASES[LIFECYCLE_PHASES.indexOf(phase) + 1]!;
}

/**
 * The job's move to its next phase, for a step to write with its last control write (after its
 * host writes, so a job never gets past a step whose host part did not happen).
 */
export function advanceFrom(ctx: RunContext, rowsMoved?: number): PhaseAdvance {
  const from = ctx.job.phase;
  if (from === "failed") throw new ShardcastError("internal", `lifecycle job ${ctx.job.id} has failed`);
  return { jobId: ctx.job.id, from, to: nextPhase(from, ctx.job.kind), ...(rowsMoved !== undefined ? { rowsMoved } : {}) };
}

/**
 * Thrown when the job cannot go on. Before `fenced` that ends it as failed (nothing changed);
 * later only when `final` (its stream is gone), else the job stays for a retry.
 */
export class GiveUp extends Error {
  constructor(
    message: string,
    readonly final = false,
  ) {
    super(message);
  }
}

/**
 * Announces the current routes of `ids` (read once here, instead of once by every edge): for a
 * change whose routes moved after its switch's announcement, a drain that cleared their flags.
 */
export async function announceRoutes(deps: WorkerDeps, streamId: string, ids: readonly string[]): Promise<void> {
  if (!deps.announce) return;
  const routes = await loadRoutes(deps.db, streamId, ids).catch((err: unknown) => {
    deps.log.warn("routes for the announcement not read; edges read them themselves", { streamId, error: probeErrorMessage(err) });
    return null;
  });
  await announce(deps, streamId, routes ? { retire: [], routes } : undefined);
}

export async function announce(deps: WorkerDeps, streamId: string, patch?: RoutePatch): Promise<void> {
  if (!deps.announce) return;
  try {
    await deps.announce(streamId, patch);
  } catch (err) {
    // Edges still learn of the change through fence rejections and their periodic refresh.
    deps.log.warn("routing announcement failed", { streamId, error: probeErrorMessage(err) });
  }
}

export async function loadSources(deps: WorkerDeps, job: LifecycleJobInfo): Promise<{ sources: SourceShardlet[]; homeHostId: string }> {
  const rows = await listLifecycleSources(deps.db, job.sourceIds);
  const byId = new Map(rows.map((r) => [r.id, r]));
  if (rows.length < job.sourceIds.length && !(await streamExists(deps.db, job.streamId))) {
    throw new GiveUp(`stream ${job.streamId} was deleted`, true);
  }
  const sources = job.sourceIds.map((id) => {
    const r = byId.get(id);
    if (!r) throw new GiveUp(`shardlet ${id} no longer exists`);
    return toSourceShardlet(r);
  });
  return { sources, homeHostId: byId.get(job.sourceIds[0]!)!.homeHostId };
}

export function childRanges(job: LifecycleJobInfo, sources: readonly SourceShardlet[]): ChildRange[] {
  if (job.kind === "handoff") {
    const [source] = sources;
    if (!source) throw new ShardcastError("internal", `hand-off job ${job.id} has no source`);
    return handoffRange(source, job.childIds);
  }
  if (job.kind === "split") {
    const [source] = sources;
    if (!source || job.splitAt === null) throw new ShardcastError("internal", `split job ${job.id} has no source or split point`);
    return splitRanges(source, job.splitAt, job.childIds);
  }
  const [left, right] = sources;
  if (!left || !right) throw new ShardcastError("internal", `merge job ${job.id} needs two sources`);
  return mergeRange(left, right, job.childIds);
}

type HostStatusRow = Awaited<ReturnType<typeof getHostStatus>>;

/**
 * Reads what `locked` checks (see LockedReads), all at once. Read under the locks: a migration
 * starts its copy under the same op-lock, so the two never both go ahead.
 */
export function readLockedChecks(deps: WorkerDeps, job: Pick<LifecycleJobInfo, "kind" | "sourceIds">, driver: HostDriver, childHostId: string): Promise<LockedReads> {
  return Promise.all([
    Promise.all(job.sourceIds.map((id) => driver.getFence(id))),
    job.kind === "handoff" ? getHostStatus(deps.db, childHostId) : null,
    migratingShardletIds(deps.db, job.sourceIds),
  ]).then(([fences, dest, migrating]) => ({ fences, dest, migrating }));
}
