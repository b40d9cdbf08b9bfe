import type { Forecaster } from "../forecast/types.ts";
import { forecastShardlet, observedFlat } from "./series.ts";

/** A shardlet's read rate history, as the analyzer forecasts it. */
export interface ReadSeries {
  id: string;
  /** Reads/s per bucket, oldest first, the last one ending now. */
  history: readonly number[];
  /** The current read rate, carried forward when there is no history. */
  load: number;
}

export interface ReadForecastInput {
  now: number;
  bucketMs: number;
  horizonSteps: number;
  period: number;
  series: readonly ReadSeries[];
  forecaster: Forecaster;
  /** Series whose recent read forecasts missed (the read error tracker), with why: planned on the observed rate. */
  untrusted?: ReadonlyMap<string, string>;
}

export interface ReadForecastOutput {
  /** What each shardlet's reads are planned on: the model's forecast, or the observed rate held flat where that is untrusted. */
  forecasts: Map<string, number[]>;
  /** The model's own forecast of each untrusted series (to keep judging it while it is not used). */
  modelForecasts: Map<string, number[]>;
  /** Series the model did not forecast (it failed, or there was no history): their rate is carried forward. */
  carried: Set<string>;
}

/**
 * Read forecasts with the write forecasts' rules: the same forecaster (per-series selection by
 * default), a series the model cannot fit carries its last rate, and one whose forecasts missed
 * is planned on its observed rate until they are close again. Reads have no client hints.
 */
export function forecastReads(input: ReadForecastInput): ReadForecastOutput {
  const h = Math.max(1, Math.floor(input.horizonSteps));
  const forecasts = new Map<string, number[]>();
  const modelForecasts = new Map<string, number[]>();
  const carried = new Set<string>();
  for (const s of input.series) {
    const f = forecastShardlet(s, input.forecaster, { now: input.now, bucketMs: input.bucketMs, horizonSteps: h, period: input.period });
    if (f.fallback !== undefined || s.history.length === 0) carried.add(s.id);
    let values = f.values;
    if (input.untrusted?.has(s.id)) {
      modelForecasts.set(s.id, values);
      values = observedFlat(s, h);
    }
    forecasts.set(s.id, values);
  }
  return { forecasts, modelForecasts, carried };
}
