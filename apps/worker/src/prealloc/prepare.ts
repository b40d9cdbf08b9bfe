import type { PreallocDecision, PreallocGateVerdict, PreallocSettings, SurgePrediction } from "@shardcast/core";
import { RoutingTable } from "@shardcast/core";
import {
  closePreallocation,
  getLifecycleJob,
  getLifecycleSettings,
  getShardletRow,
  loadRoutes,
  recordPreallocation,
  updatePreallocation,
  type PreallocDetails,
} from "@shardcast/db";
import type { JobQueue } from "@shardcast/jobs";
import type { WorkerDeps } from "../deps.ts";
import { runLifecycleJob } from "../lifecycle/machine.ts";
import { planSplit } from "../lifecycle/plan.ts";
import { ownParts } from "./parts.ts";
import { movePart } from "./placement.ts";

export interface PreallocRunResult {
  aggressiveness: number;
  decisions: PreallocDecision[];
  /** Pre-allocations prepared by this run. */
  prepared: string[];
  /** Closed by this run: the surge came. */
  hits: string[];
  /** Closed by this run: no surge within horizon and grace, parts merged back. */
  released: string[];
  /** Preparations a dead worker left half-done, finished by this run. */
  resumed: string[];
  failed: string[];
  /** The skill gate's verdict per stream weighed this run (only streams with a candidate to prepare). */
  gates: Record<string, PreallocGateVerdict>;
  /** Shadows (what a closed gate did not prepare) opened by this run, and settled: the surge came, or not. */
  shadows: { opened: number; hits: number; released: number };
  /** Set when the run did nothing because another run was under way. */
  skipped?: string;
}

/**
 * Where to cut so the announced keys get a part of their own: just below the lowest announcing
 * hash and just above the highest (at least `minWidth` wide, so the reactive manager finds the
 * part too narrow to split again while the surge lasts). A cut too close to an edge is left out.
 */
export function isolationCuts(lo: number, hi: number, keyHashes: readonly number[], minWidth: number): number[] {
  const inRange = keyHashes.filter((h) => h >= lo && h < hi);
  if (inRange.length === 0) return [];
  const a = Math.min(...inRange);
  const b = Math.max(...inRange);
  const cuts: number[] = [];
  const start = a - lo >= minWidth && hi - a >= minWidth ? a : lo;
  if (start !== lo) cuts.push(start);
  const end = Math.max(b + 1, start + minWidth);
  if (hi - end >= minWidth) cuts.push(end);
  return cuts;
}

export async function liveTable(deps: WorkerDeps, streamId: string): Promise<RoutingTable> {
  return RoutingTable.build(streamId, await loadRoutes(deps.db, streamId));
}

export async function prepare(
  deps: WorkerDeps,
  settings: PreallocSettings,
  streamId: string,
  prediction: SurgePrediction,
  decision: PreallocDecision,
  result: PreallocRunResult,
  queue: JobQueue | undefined,
): Promise<string | null> {
  const row = await getShardletRow(deps.db, prediction.shardletId);
  if (!row) return null;
  const { minShardletWidth } = await getLifecycleSettings(deps.db);
  const lo = Number(row.lo);
  const hi = Number(row.hi);
  const cuts = isolationCuts(lo, hi, prediction.keyHashes, minShardletWidth);
  const inRange = prediction.keyHashes.filter((h) => h >= lo && h < hi);
  const details: PreallocDetails = {
    stage: "preparing",
    probability: prediction.probability,
    cause: prediction.cause,
    splitAt: cuts[0] ?? null,
    cuts,
    anchorHash: Math.min(...inRange),
    range: [lo, hi],
    preparedAtMs: deps.clock(),
    releaseAtMs: prediction.horizonEndsMs + settings.graceSec * 1000,
    reason: decision.reason,
    fallbacksIfReactive: decision.fallbacksIfReactive,
    cost: decision.cost,
    ...(decision.destinationId ? { destHostId: decision.destinationId, moveWritesPerSec: prediction.expectedPeakPerStep / settings.stepSec } : {}),
  };
  // Recorded before any split is planned: a worker that dies from here on leaves a trace the next run finishes.
  const { id, created } = await recordPreallocation(deps.db, { streamId, shardletId: prediction.shardletId, message: `pre-allocation: ${decision.reason}`, details });
  if (!created) {
    deps.log.info("shardlet already has an open pre-allocation; not prepared twice", { shardletId: prediction.shardletId, preallocation: id });
    return null;
  }
  const prepared = await applyCuts(deps, streamId, id, details, result, preparedBecause(details));
  if (!prepared) return null;
  await moveHotPart(deps, queue, { id, streamId, details: prepared });
  return id;
}

/** Why the splits and the move were made, as their records say. */
export function preparedBecause(d: PreallocDetails): string {
  return `pre-allocation (p ${d.probability.toFixed(2)}${d.cause ? `, after ${d.cause}` : ""}): ${d.reason}`;
}

/**
 * Makes the cuts not made yet, one lifecycle split each (resuming a split a dead worker left), then
 * marks the pre-allocation prepared with its parts and the events its hot part already held.
 * Returns the prepared details, or null when the preparation failed (and was closed as failed).
 */
export async function applyCuts(
  deps: WorkerDeps,
  streamId: string,
  id: string,
  start: PreallocDetails,
  result: PreallocRunResult,
  reason: string,
): Promise<PreallocDetails | null> {
  let d = start;
  const fail = async (why: string) => {
    await closePreallocation(deps.db, id, { ...d, outcome: "failed" }, `preparation failed: ${why}`);
    result.failed.push(id);
    return null;
  };
  for (;;) {
    if (d.jobId) {
      const job = await getLifecycleJob(deps.db, d.jobId);
      if (job && job.phase !== "done" && job.phase !== "failed") await runLifecycleJob(deps, job.id);
      const after = await getLifecycleJob(deps.db, d.jobId);
      if (!after || after.phase !== "done") return fail(after?.error ?? "split did not finish");
    }
    const table = await liveTable(deps, streamId);
    const next = (d.cuts ?? []).find((c) => table.lookup(c).lo !== c);
    if (next === undefined) break;
    const target = table.lookup(next);
    const planned = await planSplit(deps, { shardletId: target.id, reason, actor: "prealloc", splitAt: next });
    if ("skipped" in planned) return fail(planned.skipped);
    d = { ...d, jobId: planned.job.id, jobIds: [...(d.jobIds ?? []), planned.job.id] };
    await updatePreallocation(deps.db, id, d);
  }
  const table = await liveTable(deps, streamId);
  const parts = ownParts(table, d).map((r) => r.id);
  const hot = table.lookup(d.anchorHash ?? d.range?.[0] ?? 0).id;
  d = { ...d, stage: "prepared", childIds: parts, hotChildId: hot, eventsAtPrepare: await eventsOf(deps, hot) };
  await updatePreallocation(deps.db, id, d);
  return d;
}

/**
 * Sends the prepared hot part to the host with headroom the cost model chose (its own host cannot
 * take the surge on top of what it carries), and records the migration with the pre-allocation.
 * The destination was stored when the pre-allocation opened, so a run that finds the move not made
 * (its worker died after the cuts) makes it. A move that cannot be made leaves the part split where
 * it is (the reactive path stays the fallback), and is not tried again. Returns the details after it.
 */
export async function moveHotPart(deps: WorkerDeps, queue: JobQueue | undefined, p: { id: string; streamId: string; details: PreallocDetails }): Promise<PreallocDetails> {
  const d = p.details;
  const hot = d.hotChildId;
  if (!hot || !d.destHostId || d.moveMigrationId || d.moveError !== undefined) return d;
  const destHostId = d.destHostId;
  try {
    const migrationId = await movePart(deps, queue, { streamId: p.streamId, shardletId: hot, destHostId, reason: preparedBecause(d), expectedWritesPerSec: d.moveWritesPerSec ?? 0 });
    if (!migrationId) return d;
    const moved = { ...d, moveMigrationId: migrationId };
    await updatePreallocation(deps.db, p.id, moved);
    return moved;
  } catch (err) {
    const error = err instanceof Error ? err.message : String(err);
    deps.log.warn("pre-allocation could not move its part; it stays split on its host", { preallocation: p.id, destHostId, error });
    const unmoved = { ...d, moveError: error };
    await updatePreallocation(deps.db, p.id, unmoved);
    return unmoved;
  }
}

/** Events stored under a shardlet (on its host): what it took since it was created. */
export async function eventsOf(deps: WorkerDeps, shardletId: string): Promise<number> {
  const row = await getShardletRow(deps.db, shardletId);
  if (!row) return 0;
  const totals = await (await deps.hosts.get(row.hostId)).foldStats();
  return totals.find((t) => t.shardletId === shardletId)?.events ?? 0;
}

