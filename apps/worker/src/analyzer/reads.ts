import { forecastReads, recordShardletForecasts, type ForecastInput } from "@shardcast/core";
import type { ControlDb } from "@shardcast/db";
import type { AnalyzerInputs } from "./inputs.ts";
import { selectionModel, seriesModelName } from "./model.ts";
import { roundTracked, shardletTrust } from "./trust.ts";

export interface ReadForecastRound {
  forecasts: Array<{ shardletId: string; streamId: string; values: number[]; model: string }>;
  /** The read tracker's state after this run, saved with it. */
  tracker: unknown;
  /** Shardlets whose read forecasts are not trusted now (planned on the observed read rate). */
  untrusted: number;
}

/**
 * Every read shardlet's read forecast over the horizon, judged by its own error tracker as write
 * forecasts are. Reads are forecast by the per-series selection among the standard candidates
 * whatever model version is active: a trained LSTM learned write series and their covariates.
 * Shardlets without a read in their history are not forecast (nothing to plan on; placement keeps
 * their observed rate).
 */
export async function forecastShardletReads(
  db: ControlDb,
  inputs: Pick<AnalyzerInputs, "baseMs" | "bucketMs" | "horizonSteps" | "analyzerShardlets" | "readHistory" | "shardlets">,
  opts: { period: number },
): Promise<ReadForecastRound> {
  const readRate = new Map(inputs.shardlets.map((s) => [s.id, s.readRate]));
  const series = inputs.analyzerShardlets
    .map((s) => ({ id: s.id, streamId: s.streamId, history: inputs.readHistory.get(s.id) ?? [], load: readRate.get(s.id) ?? 0 }))
    .filter((s) => s.history.some((v) => v > 0));
  const baseStep = Math.round(inputs.baseMs / inputs.bucketMs);
  const trust = await shardletTrust(db, series, baseStep, "reads");
  const model = selectionModel(null, "selection");
  const requests: ForecastInput[] = series.map((s) => ({
    history: s.history,
    horizon: inputs.horizonSteps,
    period: opts.period,
    startMs: inputs.baseMs - s.history.length * inputs.bucketMs,
    stepMs: inputs.bucketMs,
  }));
  const forecaster = await model.forecasterFor(requests);
  const out = forecastReads({
    now: inputs.baseMs,
    bucketMs: inputs.bucketMs,
    horizonSteps: inputs.horizonSteps,
    period: opts.period,
    series,
    forecaster,
    untrusted: trust.untrusted,
  });
  recordShardletForecasts(trust.tracker, baseStep, out, { clean: roundTracked });
  return {
    forecasts: series.map((s) => ({ shardletId: s.id, streamId: s.streamId, values: out.forecasts.get(s.id) ?? [], model: seriesModelName(model, out, s) })),
    tracker: trust.tracker.toJSON(),
    untrusted: trust.untrusted.size,
  };
}
