import { checkForecastInput, holtWintersForecast, seasonalMedianForecast, seasonalNaive, seasonalNaiveForecast, type ForecastInput, type Forecaster } from "@shardcast/core";

/**
 * Holt-Winters with fixed smoothing: the product's `holtWintersForecast` without the per-series
 * fit (about sixty filter passes), since the simulator forecasts every shardlet every simulated
 * hour. Moderate level smoothing with a light, damped trend follows daily seasonality without
 * chasing single spikes. The history used is the last `maxSeasons` seasons.
 */
export const SIM_HOLT_WINTERS = { alpha: 0.3, beta: 0.02, gamma: 0.2, phi: 0.9 } as const;
const SIM_HW_SEASONS = 4;

const fixedHoltWinters: Forecaster = {
  kind: "holt_winters",
  forecast(input: ForecastInput): number[] {
    checkForecastInput(input);
    if (input.history.length < 3) return seasonalNaiveForecast(input.history, input.horizon, input.period);
    return holtWintersForecast(input.history, input.horizon, input.period, SIM_HOLT_WINTERS, { maxSeasons: SIM_HW_SEASONS });
  },
};

/**
 * Most days of a shardlet's history its daily median reads. The policy's history holds three days
 * (`historySteps`), so in the suite it is the median of three: one odd day is outvoted.
 */
const SIM_MEDIAN_DAYS = 7;

/**
 * The median of the same hour over the last days the shardlet's history holds (seasonal naive
 * below two days): robust to a burst or a quiet day, which Holt-Winters and seasonal naive both
 * carry into the next day, and a few reads per step.
 */
const dailyMedian: Forecaster = {
  // The product's model kinds have no daily median; it stands in for seasonal naive, the daily model.
  kind: "seasonal_naive",
  forecast(input: ForecastInput): number[] {
    checkForecastInput(input);
    return seasonalMedianForecast(input.history, input.horizon, input.period, SIM_MEDIAN_DAYS) ?? seasonalNaiveForecast(input.history, input.horizon, input.period);
  },
};

export type SimForecasterKind = "seasonal_naive" | "holt_winters" | "daily_median";

export function productForecaster(kind: SimForecasterKind): Forecaster {
  return kind === "seasonal_naive" ? seasonalNaive : kind === "daily_median" ? dailyMedian : fixedHoltWinters;
}

/**
 * Remembers each forecast by the identity of its history array. The engine hands a shardlet the
 * same history array for a whole bucket, so the analyzer can run every tick while each series is
 * forecast once per bucket.
 */
export class CachingForecaster implements Forecaster {
  readonly kind: Forecaster["kind"];
  readonly #inner: Forecaster;
  readonly #cache = new WeakMap<readonly number[], { horizon: number; period: number; values: number[] }>();
  calls = 0;
  misses = 0;

  constructor(inner: Forecaster) {
    this.kind = inner.kind;
    this.#inner = inner;
  }

  forecast(input: ForecastInput): number[] {
    this.calls++;
    const hit = this.#cache.get(input.history);
    if (hit && hit.horizon === input.horizon && hit.period === input.period) return hit.values;
    this.misses++;
    const values = this.#inner.forecast(input);
    this.#cache.set(input.history, { horizon: input.horizon, period: input.period, values });
    return values;
  }
}

/**
 * A forecaster that knows the future: the oracle registers each shardlet's true coming bucket
 * means under its history array before the analyzer runs, and the analyzer asks with that array.
 * `kind` names the baseline it stands in for; `misses` counts series it was not told about (kept
 * at zero by the tests).
 */
export class OracleForecaster implements Forecaster {
  readonly kind = "seasonal_naive" as const;
  readonly #future = new WeakMap<readonly number[], number[]>();
  calls = 0;
  misses = 0;

  register(history: readonly number[], future: number[]): void {
    this.#future.set(history, future);
  }

  forecast(input: ForecastInput): number[] {
    this.calls++;
    const f = this.#future.get(input.history);
    if (f && f.length >= input.horizon) return f.slice(0, input.horizon);
    this.misses++;
    return seasonalNaiveForecast(input.history, input.horizon, input.period);
  }
}
