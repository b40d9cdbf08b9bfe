import {
  decidePrealloc,
  gatePreallocDecision,
  ShardcastError,
  type PreallocGateVerdict,
  type CostParams,
  type PreallocDecision,
  type PreallocSettings,
  type SurgePrediction,
} from "@shardcast/core";
import {
  getLifecycleSettings,
  getPreallocSettings,
  getShardletRow,
  listOpenPreallocations,
  listOperations,
  PREALLOC_RUN_KIND,
  listStreamNames,
  recordPreallocRun,
} from "@shardcast/db";
import type { JobQueue } from "@shardcast/jobs";
import { readMergedPredictions } from "@shardcast/runtime";
import type { Redis } from "ioredis";
import type { WorkerDeps } from "../deps.ts";
import { asOnlyPlannerRun, plannerBusy } from "../domain/planner-lock.ts";
import { preallocCostFigures } from "./cost-figures.ts";
import { Held } from "./parts.ts";
import { bestDestination, hostFigures, type HostFigures } from "./placement.ts";
import { isolationCuts, prepare, type PreallocRunResult } from "./prepare.ts";
import { recordShadow, settleShadows, streamGate } from "./gate.ts";
import { settle } from "./settle.ts";

export { isolationCuts, type PreallocRunResult } from "./prepare.ts";

/**
 * `prealloc.run`: for each stream, read the surge predictions every edge published (merged into
 * one view, figures in the settings' step, which the edges' models count in too), let the cost
 * model decide per candidate (why and why not are recorded), and prepare the chosen ones through
 * the lifecycle split (the op-lock is held by the split as for any split; a split persisted phase
 * by phase is resumed, never redone); then settle the open pre-allocations: used when the
 * prepared part took its surge, released (merged back through the lifecycle merge) when the
 * horizon and grace passed without one. At aggressiveness 0 nothing is prepared; decisions are
 * still recorded, and what earlier runs prepared is still settled.
 */
export async function runPrealloc(deps: WorkerDeps, ctx: PreallocRunContext): Promise<PreallocRunResult> {
  // Two runs at once would both read no open pre-allocation, both prepare the same shardlet and
  // race for its op-lock; runs come every few seconds, so a run that finds one under way skips.
  const { aggressiveness } = await getPreallocSettings(deps.db);
  return asOnlyPlannerRun(
    deps.opLocks,
    "prealloc",
    { signal: ctx.signal },
    (signal) => preallocate(deps, { ...ctx, signal }),
    () => ({ ...emptyResult(aggressiveness), skipped: plannerBusy("prealloc") }),
  );
}

type PreallocRunContext = { redis: Redis; prefix: string; streamId?: string; signal?: AbortSignal | undefined; queue?: JobQueue };

function emptyResult(aggressiveness: number): PreallocRunResult {
  return { aggressiveness, decisions: [], prepared: [], hits: [], released: [], resumed: [], failed: [], gates: {}, shadows: { opened: 0, hits: 0, released: 0 } };
}

function isConflict(err: unknown): err is ShardcastError {
  return err instanceof ShardcastError && err.code === "conflict";
}

/**
 * Runs one pre-allocation's step, where a shardlet's op-lock held by another job (a reactive
 * split, a migration) is no failure: its record stays open and the next run takes it up again.
 */
async function tolerant<T>(deps: WorkerDeps, what: Record<string, unknown>, step: () => Promise<T>): Promise<T | null> {
  try {
    return await step();
  } catch (err) {
    if (!isConflict(err)) throw err;
    deps.log.warn("pre-allocation step waits for a shardlet another job holds; retried next run", { ...what, error: err.message });
    return null;
  }
}

async function preallocate(deps: WorkerDeps, ctx: PreallocRunContext): Promise<PreallocRunResult> {
  const started = deps.clock();
  const settings = await getPreallocSettings(deps.db);
  const result = emptyResult(settings.aggressiveness);
  const open = await listOpenPreallocations(deps.db, ctx.streamId);
  for (const p of open) {
    ctx.signal?.throwIfAborted();
    await tolerant(deps, { preallocation: p.id }, () => settle(deps, settings, p, result, ctx.queue));
  }
  Object.assign(result.shadows, await settleShadows(deps, settings, ctx.streamId));
  const streams = (await listStreamNames(deps.db)).filter((s) => ctx.streamId === undefined || s.id === ctx.streamId);
  let quality: unknown = null;
  let modelVersion: number | null = null;
  const held = new Held(open);
  let inFlight = 0;
  let hosts: Map<string, HostFigures> | null = null;
  let costs: Pick<CostParams, "copyBytesPerSec" | "splitLockSec"> | null = null;
  for (const stream of streams) {
    const published = await readMergedPredictions(ctx.redis, ctx.prefix, stream.id, settings.stepSec * 1000, deps.clock());
    if (!published) continue;
    quality = published.quality;
    modelVersion = published.modelVersion;
    if (published.predictions.length > 0) {
      hosts ??= await hostFigures(deps);
      costs ??= await preallocCostFigures(deps.db);
    }
    // Weighed once per stream and run, only where there is something to weigh.
    let gate: PreallocGateVerdict | null = null;
    for (const prediction of published.predictions) {
      ctx.signal?.throwIfAborted();
      const candidate = await decide(deps, settings, stream.id, prediction, held, hosts ?? new Map(), costs ?? {});
      if (!candidate) continue;
      const { decision: decided, range } = candidate;
      if (decided.prepare) gate ??= result.gates[stream.id] = await streamGate(deps, stream.id);
      const decision = gate ? gatePreallocDecision(decided, gate) : { ...decided, shadow: false };
      result.decisions.push(decision);
      if (decision.shadow && (await recordShadow(deps, settings, { streamId: stream.id, prediction, decision: decided, range }))) result.shadows.opened++;
      if (!decision.prepare || inFlight >= settings.maxConcurrent) continue;
      inFlight++;
      held.add(stream.id, prediction.shardletId, { range });
      const id = await tolerant(deps, { shardletId: prediction.shardletId }, () => prepare(deps, settings, stream.id, prediction, decision, result, ctx.queue));
      if (id) {
        result.prepared.push(id);
        // Later candidates of this run see the surge expected on the destination.
        const dest = decision.destinationId ? hosts?.get(decision.destinationId) : undefined;
        if (dest) dest.writesPerSec += prediction.expectedPeakPerStep / settings.stepSec;
      }
    }
  }
  // The log gets a run that changed something, and otherwise the candidates at most once a
  // minute (the job runs every few seconds; the console shows the latest why and why not).
  const { opened, hits: shadowHits, released: shadowsReleased } = result.shadows;
  const changed = result.prepared.length + result.hits.length + result.released.length + result.resumed.length + result.failed.length + opened + shadowHits + shadowsReleased > 0;
  const last = changed || result.decisions.length === 0 ? null : (await listOperations(deps.db, { limit: 1, kind: PREALLOC_RUN_KIND }))[0];
  const due = changed || (result.decisions.length > 0 && (!last || deps.clock() - last.startedAt.getTime() >= 60_000));
  if (due) {
    await recordPreallocRun(deps.db, {
      streamId: ctx.streamId ?? null,
      decisions: result.decisions,
      prepared: result.prepared.length,
      released: result.released.length,
      hits: result.hits.length,
      gates: result.gates,
      shadows: result.shadows,
      modelVersion,
      quality,
      durationMs: deps.clock() - started,
    });
  }
  return result;
}

async function decide(
  deps: WorkerDeps,
  settings: PreallocSettings,
  streamId: string,
  prediction: SurgePrediction,
  held: Held,
  hosts: ReadonlyMap<string, HostFigures>,
  costs: Partial<CostParams>,
): Promise<{ decision: PreallocDecision; range: [number, number] } | null> {
  const row = await getShardletRow(deps.db, prediction.shardletId);
  if (!row || row.state !== "active") return null;
  const lo = Number(row.lo);
  const hi = Number(row.hi);
  const busy = held.has(streamId, { id: row.id, lo, hi });
  const { minShardletWidth } = await getLifecycleSettings(deps.db);
  const splittable = isolationCuts(lo, hi, prediction.keyHashes, minShardletWidth).length > 0;
  const bytes = Number(row.sizeBytes);
  const host = hosts.get(row.hostId);
  // The part that would move: about half the shardlet after a cut, all of it otherwise.
  const dest = bestDestination(hosts, row.hostId, splittable ? bytes / 2 : bytes);
  const figures = (h: HostFigures) => ({ id: h.id, writesPerSec: h.writesPerSec, capacityPerSec: h.capacityPerSec });
  const decision = decidePrealloc(
    {
      prediction,
      shardletBytes: bytes,
      // Nothing to cut when the announced keys already have the part to themselves.
      splittable,
      // A host the placement snapshot does not know (just registered) counts as one with headroom.
      host: host ? figures(host) : { id: row.hostId, writesPerSec: 0, capacityPerSec: Number.POSITIVE_INFINITY },
      destination: dest ? figures(dest) : null,
      prepared: busy,
    },
    deps.clock(),
    { ...costs, aggressiveness: settings.aggressiveness, minProbability: settings.minProbability, stepMs: settings.stepSec * 1000, holdSec: settings.horizonSec + settings.graceSec },
  );
  return { decision, range: [lo, hi] };
}

