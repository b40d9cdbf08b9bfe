import { evaluateHoldout, evaluateHoldoutBatch, seasonalNaive, ShardcastError, type HoldoutEvaluation } from "@shardcast/core";
import {
  failAbandonedModelVersions,
  failModelVersion,
  finishModelVersion,
  getActiveModelVersion,
  getAnalyzerSettings,
  getModelArtifact,
  mergeModelParams,
  promoteIfBetter,
  recordOperation,
  type ModelVersionInfo,
  type PromotionBenchmark,
  type PromotionDecision,
} from "@shardcast/db";
import type { JobPayload } from "@shardcast/jobs";
import type { WorkerDeps } from "../deps.ts";
import { loadCorpus, type Corpus } from "./corpus.ts";
import { seriesWithColumns } from "./covariates.ts";
import { trainHoltWinters } from "./holt-winters.ts";
import { trainLstm } from "./lstm.ts";
import type { TrainingConfig } from "./options.ts";
import { evaluationPreview } from "./preview.ts";
import { trainingProgress } from "./progress.ts";
import { candidateScores, trainSelection } from "./selection.ts";
import { storedForecaster } from "./stored-forecaster.ts";
import { progressOf, versionsFor } from "./versions.ts";

export type { TrainingConfig };

export interface TrainingRunResult {
  source: Corpus["source"];
  versions: Array<{ id: string; kind: string; version: number; status: string; mase: number | null; error?: string }>;
  promotedId: string | null;
  decision: string;
}

/** Rows older than the job's timeout that still say `training` belong to a dead worker. */
const ABANDONED_AFTER_MS = 35 * 60_000;

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** The active version's MASE on this corpus's held-out window, so a candidate is judged on the same data. */
async function benchmark(deps: WorkerDeps, corpus: Corpus): Promise<PromotionBenchmark & { activeLabel: string | null }> {
  const opts = { holdout: corpus.holdout, period: corpus.period };
  const baselineMase = evaluateHoldout(seasonalNaive, corpus.series, opts).mase;
  const active = await getActiveModelVersion(deps.db);
  if (!active) {
    // What serves without a version: the analyzer's per-series selection among the standard models,
    // scored as a stored selection version is (with default fitting options, on the corpus's origins).
    const defaultMase = evaluateHoldout(storedForecaster({ kind: "selection", params: null, artifact: null }, corpus), corpus.series, opts).mase;
    return { activeId: null, activeMase: null, baselineMase, defaultMase, activeLabel: null };
  }
  const label = `${active.kind} v${active.version}`;
  try {
    const stored = await getModelArtifact(deps.db, active.id);
    let e: HoldoutEvaluation;
    if (stored.kind === "lstm") {
      const { LstmForecaster } = await import("@shardcast/models");
      const model = await LstmForecaster.load(stored.artifact);
      try {
        // The active network is given the columns it was trained with, by name, or is not re-scored.
        e = await evaluateHoldoutBatch(model, seriesWithColumns(corpus, model.config), opts);
      } finally {
        model.dispose();
      }
    } else {
      e = evaluateHoldout(storedForecaster(stored, corpus), corpus.series, opts);
    }
    return { activeId: active.id, activeMase: e.mase, baselineMase, activeLabel: label };
  } catch (err) {
    deps.log.warn("active model could not be re-scored; comparing with its stored MASE", { version: active.id, error: errorText(err) });
    return { activeId: active.id, activeMase: null, baselineMase, activeLabel: label };
  }
}

function summary(e: HoldoutEvaluation) {
  return { mae: e.mae, rmse: e.rmse, mase: e.mase, medianMase: e.medianMase, baselineMase: e.baselineMase, series: e.series.length };
}

/**
 * `model.train`: reads the corpus (telemetry, or the shipped traces while telemetry is short),
 * trains Holt-Winters and/or the LSTM (or a per-series selection version, which names the LSTM of
 * the same run when there is one), scores each on the held-out window against seasonal naive
 * (Holt-Winters' params also carry weekly naive's and double-seasonal Holt-Winters' scores),
 * stores the versions with their figures and artifacts, and promotes the best one if it beats the
 * active version on the same window (or seasonal naive while none is active).
 */
export async function runModelTraining(
  deps: WorkerDeps,
  payload: JobPayload<"model.train">,
  ctx: { jobId: string; signal?: AbortSignal; onProgress?: (fraction: number) => Promise<void>; config?: TrainingConfig },
): Promise<TrainingRunResult> {
  const { db, log } = deps;
  const cfg = ctx.config ?? deps.training ?? {};
  const abandoned = await failAbandonedModelVersions(db, new Date(deps.clock() - ABANDONED_AFTER_MS));
  if (abandoned > 0) log.warn("marked abandoned model trainings failed", { count: abandoned });

  const versions = await versionsFor(deps, payload, ctx.jobId);
  const overall = async () => {
    if (ctx.onProgress) await ctx.onProgress(progress.overall());
  };
  const writers = new Map(versions.map((v) => [v.id, progressOf(deps, v.id, overall)]));
  const progress = trainingProgress(
    versions.map((v) => v.id),
    (id, fraction, note, force) => writers.get(id)!(fraction, note, force),
  );
  const started = deps.clock();

  let corpus: Corpus;
  try {
    await progress.reading(0.3, "reading the training series");
    corpus = await loadCorpus(db, { ...cfg, nowMs: deps.clock(), analyzer: await getAnalyzerSettings(db) });
  } catch (err) {
    for (const v of versions) await failModelVersion(db, v.id, `reading the training series failed: ${errorText(err)}`);
    throw err;
  }
  const corpusParams = {
    source: corpus.source,
    sourceNote: corpus.note,
    corpus: { series: corpus.series.length, points: corpus.series.reduce((a, s) => a + s.values.length, 0), stepMs: corpus.stepMs, period: corpus.period, holdout: corpus.holdout },
  };
  log.info("model training", { jobId: ctx.jobId, kinds: versions.map((v) => v.kind), source: corpus.source, note: corpus.note });
  for (const v of versions) await mergeModelParams(db, v.id, corpusParams);
  await progress.reading(1, corpus.note);

  const finished: ModelVersionInfo[] = [];
  const failed: TrainingRunResult["versions"] = [];
  for (const v of versions) {
    const onProgress = progress.trainer(v.id);
    const base = { jobId: ctx.jobId, ...corpusParams };
    // Every model's version stores its scores, its held-out preview and what it was trained with.
    const finish = async (r: { evaluation: HoldoutEvaluation; artifact: unknown }, params: Record<string, unknown>): Promise<void> => {
      const { mae, rmse, mase } = r.evaluation;
      const evaluation = evaluationPreview(corpus, r.evaluation, cfg.previewSeries);
      finished.push(await finishModelVersion(db, v.id, { mae, rmse, mase, artifact: r.artifact, params: { ...base, ...params, evaluation, scores: summary(r.evaluation) } }));
    };
    try {
      if (ctx.signal?.aborted) throw new ShardcastError("unavailable", "training was cancelled");
      if (v.kind === "holt_winters") {
        const t0 = deps.clock();
        const r = await trainHoltWinters(corpus, (f, note) => onProgress(f, note));
        await finish(r, {
          options: r.artifact.options,
          tried: r.tried,
          // The weekly-aware models on the same held-out window, for comparison.
          candidates: candidateScores(corpus, r.artifact.options),
          trainingMs: deps.clock() - t0,
        });
      } else if (v.kind === "selection") {
        const t0 = deps.clock();
        // The LSTM trained in this run, else the one serving now, joins the candidates when the version serves.
        const active = await getActiveModelVersion(db);
        const lstmVersionId = finished.find((f) => f.kind === "lstm")?.id ?? (active?.kind === "lstm" ? active.id : null);
        const r = await trainSelection(corpus, { lstmVersionId }, (f, note) => onProgress(f, note));
        await finish(r, { ...r.artifact, chosen: r.chosen, trainingMs: deps.clock() - t0 });
      } else if (v.kind === "lstm") {
        const epochs = cfg.epochs ?? 30;
        const r = await trainLstm(corpus, { epochs, ...(cfg.lstm ? { config: cfg.lstm } : {}), ...(ctx.signal ? { signal: ctx.signal } : {}) }, (f, note) => onProgress(f, note));
        await finish(r, {
          config: r.config,
          // The covariates the network was trained with (the analyzer serves it the same columns).
          covariates: r.config.covariateColumns.map((c) => c.name),
          backend: r.backend,
          training: {
            epochs,
            bestEpoch: r.result.bestEpoch,
            refitted: r.result.refitted,
            windows: r.result.windows,
            validationWindows: r.result.validationWindows,
            losses: r.result.losses,
            valLosses: r.result.valLosses,
            durationMs: r.result.durationMs,
          },
        });
      } else {
        throw new ShardcastError("bad_request", `${v.kind} is not trained by this job`);
      }
    } catch (err) {
      log.warn("model training failed", { version: v.id, kind: v.kind, error: errorText(err) });
      await failModelVersion(db, v.id, errorText(err));
      failed.push({ id: v.id, kind: v.kind, version: v.version, status: "failed", mase: null, error: errorText(err) });
      if (ctx.signal?.aborted) throw err;
    } finally {
      progress.ended(v.id);
      await overall();
    }
  }

  let promotedId: string | null = null;
  let decision = "nothing was trained";
  if (finished.length > 0) {
    const best = finished.reduce((a, b) => ((b.mase ?? Infinity) < (a.mase ?? Infinity) ? b : a));
    const bench = await benchmark(deps, corpus);
    const d: PromotionDecision = await promoteIfBetter(db, best.id, bench, payload.actor ?? null);
    const label = `${best.kind} v${best.version}`;
    decision = d.promoted ? `${label} promoted: MASE ${best.mase!.toFixed(3)} beats ${d.against} (${d.bar.toFixed(3)})` : `${label} kept as candidate: ${d.reason}`;
    if (d.promoted) promotedId = best.id;
    const comparison = { bestId: best.id, promoted: d.promoted, bar: Number.isFinite(d.bar) ? d.bar : null, against: d.against, baselineMase: bench.baselineMase, defaultMase: bench.defaultMase ?? null, activeMase: bench.activeMase, activeLabel: bench.activeLabel };
    for (const v of finished) {
      await mergeModelParams(db, v.id, { decision: v.id === best.id ? decision : `not the best of this run (${label} was)`, comparison });
    }
  }
  const result: TrainingRunResult = {
    source: corpus.source,
    versions: [...finished.map((v) => ({ id: v.id, kind: v.kind, version: v.version, status: v.id === promotedId ? "active" : v.status, mase: v.mase })), ...failed],
    promotedId,
    decision,
  };
  await recordOperation(db, {
    kind: "model.train",
    status: finished.length > 0 ? "succeeded" : "failed",
    message: `trained ${versions.map((v) => `${v.kind} v${v.version}`).join(" and ")} on ${corpus.source}: ${decision}`,
    actor: payload.actor ?? null,
    details: { jobId: ctx.jobId, trigger: payload.trigger, source: corpus.source, versions: result.versions, promotedId },
    durationMs: deps.clock() - started,
  });
  log.info("model training finished", { jobId: ctx.jobId, decision, versions: result.versions.length });
  if (finished.length === 0) throw new ShardcastError("internal", `every model failed to train: ${failed.map((f) => `${f.kind}: ${f.error}`).join("; ")}`);
  return result;
}
