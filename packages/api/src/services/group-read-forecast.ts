import { forecastStartMs } from "@shardcast/core";
import { getAnalyzerSettings, groupReadRateSeries, groupSeriesKey, latestGroupReadForecast, type ControlDb } from "@shardcast/db";

/** Past steps shown before the forecast. */
const PAST_STEPS = 30;

export interface GroupReadForecastView {
  bucketSec: number;
  /** Start of the first forecast step (the "now" line). */
  boundaryMs: number;
  /** The model the latest run chose for the group's reads, `observed_rate` where it did not trust its forecasts; null: not forecast. */
  model: string | null;
  runAt: Date | null;
  /** Per step: reads/s the group made, and what the latest run forecast. */
  points: Array<{ t: number; actual: number | null; forecast: number | null }>;
}

/**
 * A consumer group's reads per second over the last analyzer steps beside the latest run's read
 * forecast for it (at the analyzer's step; a forecast stored at another step is not shown).
 */
export async function groupReadForecastView(db: ControlDb, g: { id: string; streamId: string; name: string }, nowMs: number): Promise<GroupReadForecastView> {
  const settings = await getAnalyzerSettings(db);
  const stepMs = settings.bucketSec * 1000;
  const stored = await latestGroupReadForecast(db, g.id);
  const forecast = stored && stored.stepMs === stepMs && stored.startMs + stored.values.length * stepMs > nowMs - stepMs ? stored : null;
  const boundaryMs = forecast?.startMs ?? forecastStartMs(nowMs, settings);
  const fromMs = boundaryMs - PAST_STEPS * stepMs;
  const actual = (await groupReadRateSeries(db, { streamIds: [g.streamId], bucketSec: settings.bucketSec, fromMs, toMs: boundaryMs })).get(groupSeriesKey(g.streamId, g.name));
  const points: GroupReadForecastView["points"] = [];
  for (let i = 0; i < PAST_STEPS; i++) points.push({ t: fromMs + i * stepMs, actual: actual?.[i] ?? 0, forecast: null });
  for (const [i, v] of (forecast?.values ?? []).entries()) points.push({ t: boundaryMs + i * stepMs, actual: null, forecast: v });
  return { bucketSec: settings.bucketSec, boundaryMs, model: forecast?.model ?? null, runAt: forecast ? new Date(forecast.runAt) : null, points };
}
