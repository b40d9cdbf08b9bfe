import {
  decidePrealloc,
  preallocRedisKeys,
  type PreallocDecision,
  type PreallocSettings,
  type PublishedPredictions,
  type SurgePrediction,
} from "@shardcast/core";
import {
  closePreallocation,
  contentionOfJobs,
  getLifecycleJob,
  getLifecycleSettings,
  getPreallocSettings,
  loadRoutes,
  getShardletRow,
  listOpenPreallocations,
  listOperations,
  PREALLOC_RUN_KIND,
  listStreamNames,
  recordPreallocation,
  recordPreallocRun,
  updatePreallocation,
  type Preallocation,
  type PreallocDetails,
} from "@shardcast/db";
import type { Redis } from "ioredis";
import type { WorkerDeps } from "../deps.ts";
import { runLifecycleJob } from "../lifecycle/machine.ts";
import { RoutingTable } from "@shardcast/core";
import { planSplit } from "../lifecycle/plan.ts";
import { runShardletMerge } from "../processors/shardlet-merge.ts";

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
}

/** The contention a pre-allocation's own splits and merges caused, for its closing message. */
function contended(events: number): string {
  return events > 0 ? `; its splits and merges sent ${events} events to the overflow log` : "; its splits and merges sent no event to the overflow log";
}

/** Events a prepared part must take after its preparation to count as used (a surge's worth). */
function hitThreshold(s: PreallocSettings): number {
  return s.minSurgeEvents * 2;
}

/**
 * `prealloc.run`: for each stream, read the surge predictions the edges published, let the cost
 * model decide per candidate (why and why not are recorded), and prepare the chosen ones through
 * the lifecycle split (the op-lock is held by the split as for any split; a split persisted phase
 * by phase is resumed, never redone); then settle the open pre-allocations: used when the
 * prepared part took its surge, released (merged back through the lifecycle merge) when the
 * horizon and grace passed without one. At aggressiveness 0 nothing is prepared; decisions are
 * still recorded, and what earlier runs prepared is still settled.
 */
export async function runPrealloc(deps: WorkerDeps, ctx: { redis: Redis; prefix: string; streamId?: string; signal?: AbortSignal }): Promise<PreallocRunResult> {
  const started = deps.clock();
  const settings = await getPreallocSettings(deps.db);
  const result: PreallocRunResult = { aggressiveness: settings.aggressiveness, decisions: [], prepared: [], hits: [], released: [], resumed: [], failed: [] };
  const open = await listOpenPreallocations(deps.db, ctx.streamId);
  for (const p of open) {
    ctx.signal?.throwIfAborted();
    await settle(deps, settings, p, result);
  }
  const streams = (await listStreamNames(deps.db)).filter((s) => ctx.streamId === undefined || s.id === ctx.streamId);
  const keys = preallocRedisKeys(ctx.prefix);
  let quality: unknown = null;
  let modelVersion: number | null = null;
  const busy = new Set(open.map((p) => p.shardletId));
  let inFlight = 0;
  for (const stream of streams) {
    const raw = await ctx.redis.get(keys.predictions(stream.id));
    if (!raw) continue;
    const published = JSON.parse(raw) as PublishedPredictions;
    quality = published.quality;
    modelVersion = published.modelVersion;
    for (const prediction of published.predictions) {
      ctx.signal?.throwIfAborted();
      const decision = await decide(deps, settings, prediction, busy.has(prediction.shardletId));
      if (!decision) continue;
      result.decisions.push(decision);
      if (!decision.prepare || inFlight >= settings.maxConcurrent) continue;
      inFlight++;
      busy.add(prediction.shardletId);
      const id = await prepare(deps, settings, stream.id, prediction, decision, result);
      if (id) result.prepared.push(id);
    }
  }
  // The log gets a run that changed something, and otherwise the candidates at most once a
  // minute (the job runs every few seconds; the console shows the latest why and why not).
  const changed = result.prepared.length + result.hits.length + result.released.length + result.resumed.length + result.failed.length > 0;
  const last = changed || result.decisions.length === 0 ? null : (await listOperations(deps.db, { limit: 1, kind: PREALLOC_RUN_KIND }))[0];
  const due = changed || (result.decisions.length > 0 && (!last || deps.clock() - last.startedAt.getTime() >= 60_000));
  if (due) {
    await recordPreallocRun(deps.db, {
      streamId: ctx.streamId ?? null,
      decisions: result.decisions,
      prepared: result.prepared.length,
      released: result.released.length,
      hits: result.hits.length,
      modelVersion,
      quality,
      durationMs: deps.clock() - started,
    });
  }
  return result;
}

async function decide(deps: WorkerDeps, settings: PreallocSettings, prediction: SurgePrediction, busy: boolean): Promise<PreallocDecision | null> {
  const row = await getShardletRow(deps.db, prediction.shardletId);
  if (!row || row.state !== "active") return null;
  const lo = Number(row.lo);
  const hi = Number(row.hi);
  const { minShardletWidth } = await getLifecycleSettings(deps.db);
  return decidePrealloc(
    {
      prediction,
      shardletBytes: Number(row.sizeBytes),
      // Nothing to cut when the announced keys already have the part to themselves.
      splittable: isolationCuts(lo, hi, prediction.keyHashes, minShardletWidth).length > 0,
      // Moves are left to the rebalancer: the host's figures only decide whether one would be needed.
      host: { id: row.hostId, writesPerSec: 0, capacityPerSec: Number.POSITIVE_INFINITY },
      destination: null,
      prepared: busy,
    },
    deps.clock(),
    { aggressiveness: settings.aggressiveness, minProbability: settings.minProbability, stepMs: settings.stepSec * 1000, holdSec: settings.horizonSec + settings.graceSec },
  );
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

async function liveTable(deps: WorkerDeps, streamId: string): Promise<RoutingTable> {
  return RoutingTable.build(streamId, await loadRoutes(deps.db, streamId));
}

async function prepare(
  deps: WorkerDeps,
  settings: PreallocSettings,
  streamId: string,
  prediction: SurgePrediction,
  decision: PreallocDecision,
  result: PreallocRunResult,
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
  };
  // Recorded before any split is planned: a worker that dies from here on leaves a trace the next run finishes.
  const { id } = await recordPreallocation(deps.db, { streamId, shardletId: prediction.shardletId, message: `pre-allocation: ${decision.reason}`, details });
  return (await applyCuts(deps, streamId, id, details, result, `pre-allocation (p ${prediction.probability.toFixed(2)}${prediction.cause ? `, after ${prediction.cause}` : ""}): ${decision.reason}`)) ? id : null;
}

/**
 * Makes the cuts not made yet, one lifecycle split each (resuming a split a dead worker left), then
 * marks the pre-allocation prepared with its parts and the events its hot part already held.
 */
async function applyCuts(deps: WorkerDeps, streamId: string, id: string, start: PreallocDetails, result: PreallocRunResult, reason: string): Promise<boolean> {
  let d = start;
  const fail = async (why: string) => {
    await closePreallocation(deps.db, id, { ...d, outcome: "failed" }, `preparation failed: ${why}`);
    result.failed.push(id);
    return false;
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
  const [lo, hi] = d.range ?? [0, 0];
  const parts = table.all().filter((r) => r.lo >= lo && r.hi <= hi && r.state === "active").sort((x, y) => x.lo - y.lo).map((r) => r.id);
  const hot = table.lookup(d.anchorHash ?? lo).id;
  d = { ...d, stage: "prepared", childIds: parts, hotChildId: hot, eventsAtPrepare: await eventsOf(deps, hot) };
  await updatePreallocation(deps.db, id, d);
  return true;
}

/** Events stored under a shardlet (on its host): what it took since it was created. */
async function eventsOf(deps: WorkerDeps, shardletId: string): Promise<number> {
  const row = await getShardletRow(deps.db, shardletId);
  if (!row) return 0;
  const totals = await (await deps.hosts.get(row.hostId)).foldStats();
  return totals.find((t) => t.shardletId === shardletId)?.events ?? 0;
}

async function settle(deps: WorkerDeps, settings: PreallocSettings, p: Preallocation, result: PreallocRunResult): Promise<void> {
  const d = p.details;
  if (d.stage === "preparing") {
    // A worker died while preparing: finish the splits it started (a lifecycle job resumes from
    // its persisted phase) and make the cuts it had not made.
    if (await applyCuts(deps, p.streamId, p.id, d, result, `pre-allocation resumed: ${d.reason}`)) result.resumed.push(p.id);
    return;
  }
  const hot = d.hotChildId;
  if (!hot || !d.childIds) return;
  const events = (await eventsOf(deps, hot)) - (d.eventsAtPrepare ?? 0);
  if (events >= hitThreshold(settings)) {
    const contention = await contentionOfJobs(deps.db, d.jobIds ?? []);
    await closePreallocation(deps.db, p.id, { ...d, outcome: "hit", contentionEvents: contention }, `used: the prepared part took ${events} events${contended(contention)}`);
    result.hits.push(p.id);
    return;
  }
  if (deps.clock() < d.releaseAtMs) return;
  // Wrong prediction: give the reserved shardlets back (merge the parts through the lifecycle merge).
  const [lo, hi] = d.range ?? [0, 0];
  const mergeJobs: string[] = [];
  for (;;) {
    const parts = (await liveTable(deps, p.streamId)).all().filter((r) => r.lo >= lo && r.hi <= hi && r.state === "active").sort((x, y) => x.lo - y.lo);
    if (parts.length < 2) break;
    const merged = await runShardletMerge(deps, { leftId: parts[0]!.id, rightId: parts[1]!.id, reason: `pre-allocation released: no surge within the horizon and grace (${events} events)`, actor: "prealloc" });
    if (merged.status !== "done") {
      deps.log.warn("could not merge back a pre-allocation; retried next run", { preallocation: p.id, merge: merged });
      return;
    }
    mergeJobs.push(merged.jobId);
  }
  const contention = await contentionOfJobs(deps.db, [...(d.jobIds ?? []), ...mergeJobs]);
  await closePreallocation(
    deps.db,
    p.id,
    { ...d, outcome: "released", mergeJobIds: mergeJobs, contentionEvents: contention },
    `released: no surge (${events} events); parts merged back${contended(contention)}`,
  );
  result.released.push(p.id);
}
