import { forecastReads, recordShardletForecasts, type ForecastInput, type ReadSeries } from "@shardcast/core";
import { groupReadRateSeries, groupSeriesKey, listConsumerGroups, type ControlDb } from "@shardcast/db";
import type { AnalyzerInputs } from "./inputs.ts";
import { selectionModel, seriesModelName } from "./model.ts";
import { roundTracked, shardletTrust } from "./trust.ts";

export interface ReadForecastRound {
  forecasts: Array<{ shardletId: string; streamId: string; values: number[]; model: string }>;
  /** Each consumer group's read forecast, by group id. */
  groups: Record<string, { values: number[]; model: string }>;
  /** The read tracker's state after this run, saved with it. */
  tracker: unknown;
  /** Series (shardlets and groups) whose read forecasts are not trusted now (planned on the observed read rate). */
  untrusted: number;
}

/** Tracker ids of consumer groups' series, apart from the shardlets' ids. */
const groupSeriesId = (groupId: string) => `group:${groupId}`;

/**
 * Every read shardlet's and every reading consumer group's read forecast over the horizon, judged
 * by one read error tracker as write forecasts are by theirs. Reads are forecast by the per-series
 * selection among the standard candidates whatever model version is active: a trained LSTM
 * learned write series and their covariates. Series without a read in their history are not
 * forecast (nothing to plan on; placement keeps their observed rate).
 */
export async function forecastReadRates(
  db: ControlDb,
  inputs: Pick<AnalyzerInputs, "baseMs" | "bucketMs" | "horizonSteps" | "analyzerShardlets" | "readHistory" | "shardlets">,
  opts: { period: number; historySteps: number },
): Promise<ReadForecastRound> {
  const readRate = new Map(inputs.shardlets.map((s) => [s.id, s.readRate]));
  const shardletSeries = inputs.analyzerShardlets.map((s) => ({ id: s.id, streamId: s.streamId, history: inputs.readHistory.get(s.id) ?? [], load: readRate.get(s.id) ?? 0 }));
  const [groups, groupRates] = await Promise.all([
    listConsumerGroups(db),
    groupReadRateSeries(db, { bucketSec: inputs.bucketMs / 1000, fromMs: inputs.baseMs - opts.historySteps * inputs.bucketMs, toMs: inputs.baseMs }),
  ]);
  const groupSeries = groups.map((g) => {
    const history = groupRates.get(groupSeriesKey(g.streamId, g.name)) ?? [];
    return { id: groupSeriesId(g.id), groupId: g.id, history, load: history[history.length - 1] ?? 0 };
  });
  const read = (s: ReadSeries) => s.history.some((v) => v > 0);
  const series: ReadSeries[] = [...shardletSeries.filter(read), ...groupSeries.filter(read)];
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
  const forecastOf = (s: ReadSeries) => ({ values: out.forecasts.get(s.id) ?? [], model: seriesModelName(model, out, s) });
  const byGroup: ReadForecastRound["groups"] = {};
  for (const g of groupSeries.filter(read)) byGroup[g.groupId] = forecastOf(g);
  return {
    forecasts: shardletSeries.filter(read).map((s) => ({ shardletId: s.id, streamId: s.streamId, ...forecastOf(s) })),
    groups: byGroup,
    tracker: trust.tracker.toJSON(),
    untrusted: trust.untrusted.size,
  };
}
