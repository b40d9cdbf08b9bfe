import {
  loadForecast,
  loadForecastScope,
  RoutingTable,
  scopeShardlets,
  ShardcastError,
  type LoadForecast,
  type LoadForecastQuery,
  type LoadForecastRows,
} from "@shardcast/core";
import type { ControlDb } from "../client.ts";
import { modelVersionLabel } from "../model-versions/versions.ts";
import { loadRoutes } from "../routes.ts";
import { getStreamByName } from "../streams.ts";
import { latestAnalyzerRun, runForecastStart, runForecasts, runSeriesModels } from "./runs.ts";
import { trackedShardletSeries } from "./trackers.ts";

/**
 * The predicted load of a stream, one of its shardlets or a key's shardlet (core's
 * `loadForecast`), from the latest analyzer run that forecast the stream. `table` is the stream's
 * current routes: the edge passes its routing cache's, the console the control database's.
 */
export async function streamLoadForecast(
  db: ControlDb,
  q: LoadForecastQuery & { stream: { id: string; name: string }; table: RoutingTable; nowMs: number },
): Promise<LoadForecast> {
  const scope = loadForecastScope(q.table, q);
  const ids = scopeShardlets(scope).map((s) => s.id);
  const rows = await loadForecastRows(db, q.stream.id, ids);
  return loadForecast({ stream: q.stream.name, scope, rows, nowMs: q.nowMs, ...(q.horizonSec !== undefined ? { horizonSec: q.horizonSec } : {}) });
}

/** `streamLoadForecast` by stream name, on the routes the control database holds now. */
export async function streamLoadForecastByName(db: ControlDb, q: LoadForecastQuery & { stream: string; nowMs: number }): Promise<LoadForecast> {
  const stream = await getStreamByName(db, q.stream);
  if (!stream) throw new ShardcastError("not_found", `unknown stream "${q.stream}"`);
  const table = RoutingTable.build(stream.id, await loadRoutes(db, stream.id));
  return streamLoadForecast(db, { ...q, stream: { id: stream.id, name: stream.name }, table });
}

async function loadForecastRows(db: ControlDb, streamId: string, shardletIds: readonly string[]): Promise<LoadForecastRows | null> {
  const run = await latestAnalyzerRun(db, { streamId });
  if (!run) return null;
  const [forecasts, models, tracked, readForecasts, readModels, readTracked, model] = await Promise.all([
    runForecasts(db, run.id, shardletIds),
    runSeriesModels(db, run.id, shardletIds),
    trackedShardletSeries(db, shardletIds),
    runForecasts(db, run.id, shardletIds, "reads"),
    runSeriesModels(db, run.id, shardletIds, "reads"),
    trackedShardletSeries(db, shardletIds, "reads"),
    modelVersionLabel(db, run.modelVersionId),
  ]);
  let forecastStart: number | null = null;
  for (const list of forecasts.values()) if (list[0]) forecastStart = Math.min(forecastStart ?? Infinity, list[0].t);
  // None of these shardlets is in the run (all younger than it): the run's own start still dates it.
  forecastStart ??= await runForecastStart(db, run.id);
  if (forecastStart === null) return null;
  return {
    run: { id: run.id, at: run.at.getTime(), bucketSec: run.bucketSec, horizonSec: run.horizonSec, model, forecastStart },
    forecasts,
    models,
    tracked,
    reads: { forecasts: readForecasts, models: readModels, tracked: readTracked },
  };
}
