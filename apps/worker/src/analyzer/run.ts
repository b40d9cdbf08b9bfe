import { analyzeLoad, nextTrough, recordShardletForecasts, ShardcastError, type ForecastInput } from "@shardcast/core";
import {
  analyzerSettingsUpdatedAt,
  applyDefaultPredictiveMode,
  deleteAnalyzerDataBefore,
  getAnalyzerSettings,
  getLifecycleSettings,
  getRebalanceSettings,
  listStreamPredictiveModes,
  recordAnalyzerRun,
  replaceAnalyzerProposals,
  replacePlannerNotes,
  type ControlDb,
} from "@shardcast/db";
import type { JobQueue } from "@shardcast/jobs";
import type { Logger } from "@shardcast/runtime/logger";
import type { OpLocks } from "@shardcast/runtime/oplock";
import { actOnProposals, type ActResult } from "./act.ts";
import { mergeAddHost, planClusterCapacity } from "./capacity.ts";
import { actOnCapacity, retireDrainedHosts, type CapacityActResult } from "./capacity-act.ts";
import { loadAnalyzerInputs, loadForecastCovariates } from "./inputs.ts";
import { loadAnalyzerModel, seriesModelName } from "./model.ts";
import { proposalRows } from "./proposals.ts";
import { forecastReadRates } from "./reads.ts";
import { roundTracked, shardletTrust } from "./trust.ts";
import { copySpeedFor } from "../domain/copy-speed.ts";
import { asOnlyPlannerRun, plannerBusy } from "../domain/planner-lock.ts";
import { checkAborted } from "../domain/abort.ts";

export interface AnalyzerRunDeps {
  db: ControlDb;
  log: Logger;
  clock: () => number;
  opLocks?: OpLocks;
  /** Provisions an approved add_host in place (act mode without a job queue: an embedded run). */
  provision?: (proposalId: string, actor: string) => Promise<unknown>;
}

export interface AnalyzerRunOptions {
  streamId?: string;
  trigger?: "schedule" | "manual";
  actor?: string;
  /** Where act-mode splits are enqueued. */
  queue?: JobQueue;
  signal?: AbortSignal;
  onProgress?: (p: { stage: string; fraction: number }) => void | Promise<void>;
}

export interface AnalyzerRunResult {
  runId: string | null;
  /** Why nothing ran (the analyzer is disabled and the run was scheduled). */
  skipped?: string;
  model: string;
  shardlets: number;
  points: number;
  proposals: { split: number; migrate: number; addHost: number };
  superseded: number;
  /** Proposals not made again because an operator dismissed them and they have not changed materially. */
  heldBack: number;
  acted: ActResult;
  /** The capacity plan's actions (act mode) and the hosts retired after their drain; null when capacity planning is off or the run was for one stream. */
  capacity: (CapacityActResult & { drainProposals: number; retired: string[]; untrusted: string | null }) | null;
  /** Streams switched to act mode because forecast-only is no longer the default. */
  defaulted: number;
  /** Shardlets and consumer groups whose reads were forecast, and how many of those series' forecasts are not trusted now. */
  reads: { forecast: number; groups: number; untrusted: number };
  ms: number;
}

/** Ranking entries kept with a run (the console shows the top of it). */
const RANKING_KEPT = 500;

/**
 * One analyzer run: forecasts every shardlet from telemetry with the active model, stores the
 * forecasts and ranking, replaces the open proposals with this run's (the same proposal keeps its
 * id; a dismissed one stays dismissed until it changes materially), and, for streams in `act`
 * mode, enqueues the predicted splits and approves the feasible migrations. A run for one stream
 * still forecasts every shardlet (host loads depend on all of them) but proposes only for it.
 */
export async function runAnalyzer(deps: AnalyzerRunDeps, opts: AnalyzerRunOptions = {}): Promise<AnalyzerRunResult> {
  return asOnlyPlannerRun(
    deps.opLocks,
    "analyzer",
    {
      signal: opts.signal,
      // A run an operator asked for waits for a scheduled one under way (within the job's timeout).
      waitMs: opts.trigger === "manual" ? 2 * 60_000 : 0,
      onWait: () => opts.onProgress?.({ stage: "waiting for the run under way", fraction: 0 }),
    },
    (signal) => analyze(deps, { ...opts, ...(signal ? { signal } : {}) }),
    () => ({ ...NOTHING_RAN, skipped: plannerBusy("analyzer") }),
  );
}

const NOTHING_RAN: AnalyzerRunResult = {
  runId: null,
  model: "",
  shardlets: 0,
  points: 0,
  proposals: { split: 0, migrate: 0, addHost: 0 },
  superseded: 0,
  heldBack: 0,
  acted: { splits: 0, migrations: 0, scheduled: 0, skipped: [] },
  capacity: null,
  defaulted: 0,
  reads: { forecast: 0, groups: 0, untrusted: 0 },
  ms: 0,
};

async function analyze(deps: AnalyzerRunDeps, opts: AnalyzerRunOptions): Promise<AnalyzerRunResult> {
  const started = deps.clock();
  const progress = async (stage: string, fraction: number) => {
    await opts.onProgress?.({ stage, fraction });
  };
  const { db } = deps;
  const configured = await getAnalyzerSettings(db);
  if (!configured.enabled && opts.trigger !== "manual") return { ...NOTHING_RAN, skipped: "the analyzer is disabled" };
  // Feasibility (does a move finish before the overload) at the speed copies really run.
  const settings = { ...configured, copyBytesPerSec: (await copySpeedFor(db, configured.copyBytesPerSec)).bytesPerSec };
  const [lifecycle, streams] = await Promise.all([getLifecycleSettings(db), listStreamPredictiveModes(db)]);
  if (opts.streamId && !streams.some((s) => s.id === opts.streamId)) throw new ShardcastError("not_found", `no stream with id ${opts.streamId}`);

  // Forecast-only is the default for new streams; with the default off, streams created since the
  // setting was saved start acting.
  let defaulted = 0;
  if (!settings.forecastOnlyDefault) {
    const since = await analyzerSettingsUpdatedAt(db);
    if (since) {
      const changed = await applyDefaultPredictiveMode(db, since, "act");
      defaulted = changed.length;
      for (const s of streams) if (changed.includes(s.id)) s.mode = "act";
    }
  }
  await progress("loading telemetry", 0.1);
  const nowMs = deps.clock();
  const inputs = await loadAnalyzerInputs(db, { nowMs, settings, lifecycle, ...(deps.opLocks ? { opLocks: deps.opLocks } : {}) });
  checkAborted(opts.signal, "analyzer run");

  await progress("forecasting", 0.3);
  const model = await loadAnalyzerModel(db, deps.log);
  // An LSTM trained with covariates is given the same columns, built from telemetry the same way.
  const covariates = model.covariates ? await loadForecastCovariates(db, inputs, { names: model.covariates, historySteps: settings.historySteps }) : null;
  const forecastInputs: ForecastInput[] = inputs.analyzerShardlets.map((s) => {
    const rows = covariates?.get(s.id);
    return {
      history: s.history,
      horizon: inputs.horizonSteps,
      period: settings.period,
      startMs: inputs.baseMs - s.history.length * inputs.bucketMs,
      stepMs: inputs.bucketMs,
      ...(rows ? { covariates: rows } : {}),
    };
  });
  const forecaster = await model.forecasterFor(forecastInputs);
  checkAborted(opts.signal, "analyzer run");
  // Shardlets whose recent forecasts missed are planned on what they do now (the reactive path).
  const baseStep = Math.round(inputs.baseMs / inputs.bucketMs);
  const [trust, rebalance] = await Promise.all([shardletTrust(db, inputs.analyzerShardlets, baseStep), getRebalanceSettings(db)]);
  const inScope = (streamId: string) => !opts.streamId || streamId === opts.streamId;
  const busy = new Set(inputs.busy);
  for (const s of inputs.analyzerShardlets) if (!inScope(s.streamId)) busy.add(s.id);
  const out = analyzeLoad({
    now: inputs.baseMs,
    bucketMs: inputs.bucketMs,
    horizonSteps: inputs.horizonSteps,
    period: settings.period,
    hosts: inputs.placementHosts,
    shardlets: inputs.analyzerShardlets,
    splitWriteRate: lifecycle.splitWriteRate,
    splitFullness: lifecycle.splitThreshold,
    forecaster,
    settings,
    busy,
    pinned: inputs.pinned,
    untrusted: trust.untrusted,
    moveMode: rebalance.moveMode,
  });
  recordShardletForecasts(trust.tracker, baseStep, out, { clean: roundTracked });
  checkAborted(opts.signal, "analyzer run");

  // The cluster's hosts are planned only by a run that saw every stream.
  const capacity = opts.streamId ? null : await planClusterCapacity(db, { nowMs, inputs, historySteps: settings.historySteps, forecasts: out.forecasts, model: model.label });
  checkAborted(opts.signal, "analyzer run");

  await progress("forecasting reads", 0.5);
  const reads = await forecastReadRates(db, inputs, { period: settings.period, historySteps: settings.historySteps });
  checkAborted(opts.signal, "analyzer run");

  await progress("storing forecasts", 0.6);
  const shardletById = new Map(inputs.shardlets.map((s) => [s.id, s]));
  const scoped = inputs.analyzerShardlets.filter((s) => inScope(s.streamId));
  const run = await recordAnalyzerRun(db, {
    at: new Date(nowMs),
    horizonSec: settings.horizonSec,
    bucketSec: settings.bucketSec,
    modelVersionId: model.versionId,
    ranking: out.ranking.filter((r) => inScope(shardletById.get(r.shardletId)?.streamId ?? "")).slice(0, RANKING_KEPT),
    forecastStartMs: inputs.baseMs,
    forecasts: scoped.map((s) => ({ shardletId: s.id, streamId: s.streamId, values: out.forecasts.get(s.id) ?? [], model: seriesModelName(model, out, s) })),
    ...(capacity ? { capacityPlan: capacity.plan, forecastTracker: capacity.tracker } : {}),
    shardletTracker: trust.tracker.toJSON(),
    readForecasts: reads.forecasts.filter((f) => inScope(f.streamId)),
    readTracker: reads.tracker,
    groupReadForecasts: reads.groups,
  });
  // A run over one stream held the others' shardlets busy: only a full run says why not.
  if (!opts.streamId) await replacePlannerNotes(db, "analyzer", out.notes, new Date(nowMs));
  const signalled = proposalRows(out, { inScope, shardlets: shardletById, fullRun: !opts.streamId, bucketSec: settings.bucketSec });
  const rows = capacity ? mergeAddHost(signalled, capacity.rows) : signalled;
  const stored = await replaceAnalyzerProposals(db, run.id, rows, { streamIds: opts.streamId ? [opts.streamId] : null, atMs: nowMs });
  checkAborted(opts.signal, "analyzer run");

  await progress("acting", 0.85);
  const acting = new Set(streams.filter((s) => s.mode === "act").map((s) => s.id));
  const trough = capacity ? nextTrough(capacity.forecast) : null;
  const acted = await actOnProposals(
    db,
    deps.log,
    // Kept proposals too: one an earlier run could not act on (no queue, not feasible yet) is tried again.
    stored.current.filter((p) => p.streamId !== null && acting.has(p.streamId)),
    {
      ...(opts.queue ? { queue: opts.queue } : {}),
      // Without a trusted forecast there is no trough to wait for.
      ...(capacity && trough && !capacity.plan.untrusted ? { trough: { window: trough, nowMs, settings: capacity.settings } } : {}),
    },
  );
  let capacityActed: AnalyzerRunResult["capacity"] = null;
  if (capacity) {
    const actedOn = await actOnCapacity(
      db,
      deps.log,
      stored.current.filter((p) => p.kind === "add_host" || p.kind === "drain_host"),
      { settings: capacity.settings, nowMs, stepMs: inputs.bucketMs, ...(opts.queue ? { queue: opts.queue } : {}), ...(deps.provision ? { provision: deps.provision } : {}) },
    );
    const retired = await retireDrainedHosts(db, deps.log, nowMs);
    capacityActed = { ...actedOn, drainProposals: stored.current.filter((p) => p.kind === "drain_host").length, retired, untrusted: capacity.plan.untrusted };
  }
  await deleteAnalyzerDataBefore(db, nowMs - settings.retentionHours * 3_600_000);
  await progress("done", 1);

  const proposals = {
    split: stored.current.filter((p) => p.kind === "split").length,
    migrate: stored.current.filter((p) => p.kind === "migrate").length,
    addHost: stored.current.filter((p) => p.kind === "add_host").length,
  };

  const result: AnalyzerRunResult = {
    runId: run.id,
    model: model.label,
    shardlets: scoped.length,
    points: run.points,
    proposals,
    superseded: stored.superseded,
    heldBack: stored.heldBack,
    acted,
    capacity: capacityActed,
    defaulted,
    reads: { forecast: reads.forecasts.length, groups: Object.keys(reads.groups).length, untrusted: reads.untrusted },
    ms: deps.clock() - started,
  };
  const line = {
    runId: run.id,
    model: model.label,
    shardlets: scoped.length,
    backfilled: inputs.backfilled,
    untrustedShardlets: trust.untrusted.size,
    readForecasts: reads.forecasts.length,
    untrustedReadForecasts: reads.untrusted,
    ...proposals,
    heldBack: stored.heldBack,
    actedSplits: acted.splits,
    actedMigrations: acted.migrations,
    trigger: opts.trigger ?? "schedule",
    ms: result.ms,
  };
  if (proposals.split + proposals.migrate + proposals.addHost + (capacityActed?.drainProposals ?? 0) > 0 || opts.trigger === "manual") deps.log.info("analyzer run", line);
  else deps.log.debug("analyzer run", line);
  return result;
}
