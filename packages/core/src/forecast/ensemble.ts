import { ShardcastError } from "../errors.ts";
import { checkForecastInput } from "./seasonal-naive.ts";
import type { ForecastInput, Forecaster } from "./types.ts";

/**
 * The step-by-step mean of several models' forecasts. Averaging models whose errors differ (a
 * naive repeat of last week, a smoothed level with daily and weekly shapes) cancels part of each
 * one's error; on the shipped traces the mean of weekly naive, Holt-Winters and double-seasonal
 * Holt-Winters beats each of them, and per-series selection among single models does not.
 */
export function ensembleForecaster(members: readonly Forecaster[]): Forecaster & { readonly members: readonly Forecaster[] } {
  if (members.length === 0) throw new ShardcastError("bad_request", "an ensemble needs at least one model");
  const list = [...members];
  return {
    kind: "ensemble",
    members: list,
    forecast(input: ForecastInput): number[] {
      checkForecastInput(input);
      const out = new Array<number>(input.horizon).fill(0);
      for (const m of list) {
        const f = m.forecast(input);
        for (let h = 0; h < input.horizon; h++) out[h]! += (f[h] ?? 0) / list.length;
      }
      return out;
    },
  };
}

/**
 * Remembers a model's forecast per request object, so that a model that is both a candidate of a
 * selection and a member of an ensemble is fitted once per request, not twice. Requests are
 * matched by identity (the selection reuses its validation requests; see `validationInputs`).
 */
export function memoizedForecaster<F extends Forecaster>(inner: F): F {
  const seen = new WeakMap<ForecastInput, number[]>();
  return {
    ...inner,
    kind: inner.kind,
    forecast(input: ForecastInput): number[] {
      const hit = seen.get(input);
      if (hit) return [...hit];
      const out = inner.forecast(input);
      seen.set(input, out);
      return [...out];
    },
  };
}
