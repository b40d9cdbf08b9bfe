import { z } from "zod";

/**
 * The answer to "what load is predicted for this stream, shardlet or key": the edge's
 * `GET /v1/streams/{stream}/forecast` and the console's `heatmap.forecast` both answer with this
 * shape (built by `loadForecast`), so one schema documents and checks both.
 */

export const LOAD_FORECAST_STATUSES = ["ok", "partial", "expired", "no_run"] as const;
export type LoadForecastStatus = (typeof LOAD_FORECAST_STATUSES)[number];

const hashRangeSchema = z
  .object({ lo: z.number().int(), hi: z.number().int() })
  .meta({ description: "The key-hash range [lo, hi) of the 32-bit hash space (murmur3 of the key)." });

const forecastErrorSchema = z
  .object({
    mase: z.number().meta({
      description:
        "Mean absolute error of the series' last `steps` forecast steps scored against what happened, scaled by its naive one-step error (the mean change between consecutive steps): below 1, the forecasts missed by less than the load moves from one step to the next.",
    }),
    steps: z.number().int().meta({ description: "Scored steps the error averages over (at most the tracker's window, 6)." }),
    trusted: z.boolean().meta({ description: "False while the analyzer plans the shardlet on its observed rate because its forecasts missed." }),
    untrustedReason: z.string().nullable(),
  })
  .meta({ id: "ForecastError" });

const seriesSchema = z.object({
  shardletId: z.string(),
  range: hashRangeSchema,
  forecast: z.boolean().meta({ description: "False for a shardlet younger than the run: it has no forecast in it and adds nothing to `points`." }),
  model: z.string().nullable().meta({
    description:
      "What made the series' forecast, as the analyzer records it: the model chosen for it (`weekly_median`, `holt_winters`, `double_seasonal`, `ensemble`, `seasonal_naive`, `weekly_naive`, `lstm`), `observed_rate` where its forecasts were not trusted and the run planned on its observed rate, `last_rate` where the model could not forecast it. Null when the run recorded none.",
  }),
  error: forecastErrorSchema.nullable().meta({ description: "The series' recent forecast error; null before any step of it was scored." }),
});

export const loadForecastSchema = z
  .object({
    stream: z.string(),
    scope: z.discriminatedUnion("kind", [
      z.object({ kind: z.literal("stream") }).meta({ description: "The whole stream: the sum over its routed shardlets." }),
      z.object({
        kind: z.literal("shardlet"),
        shardletId: z.string(),
        range: hashRangeSchema,
        key: z.string().nullable().meta({ description: "The routing key asked for, whose hash the shardlet's range holds (null when asked by shardlet)." }),
      }),
    ]),
    status: z.enum(LOAD_FORECAST_STATUSES).meta({
      description:
        "`ok`; `partial` when some shardlets of the scope are younger than the run (the points sum the others); `expired` when the run's forecast ended before now (the analyzer has not run since; the points are its last forecast); `no_run` when no analyzer run has forecast the stream yet (no points: a new stream gets one at the analyzer's next run).",
    }),
    reason: z.string().nullable().meta({ description: "Why the status is not `ok`, in words." }),
    run: z
      .object({
        id: z.string(),
        at: z.number().int().meta({ description: "When the run forecast, epoch milliseconds." }),
        model: z.string().meta({ description: "The model version the run served, e.g. `selection (default)` (the best model per series) or `lstm v3`." }),
        forecastStart: z.number().int().meta({ description: "Start of the run's first forecast step, epoch milliseconds." }),
        horizonSec: z.number().int().meta({ description: "How far the run forecast: the longest `horizon` that can be asked." }),
      })
      .nullable(),
    bucketSec: z.number().int().nullable().meta({ description: "Length of a step in seconds (null without a run)." }),
    horizonSec: z.number().int().nullable().meta({ description: "The horizon answered: the one asked for, else the run's." }),
    points: z
      .array(z.object({ t: z.number().int().meta({ description: "Start of the step, epoch milliseconds." }), writesPerSec: z.number() }))
      .meta({ description: "The forecast write rate per step, from the run's first step, for the steps that start within the horizon." }),
    series: z.array(seriesSchema).meta({ description: "The shardlets summed, each with its model and recent error." }),
    reads: z
      .object({
        points: z
          .array(z.object({ t: z.number().int().meta({ description: "Start of the step, epoch milliseconds." }), readsPerSec: z.number() }))
          .meta({ description: "The forecast read rate per step (summed over the scope's read shardlets), the same steps as `points`." }),
        series: z.array(seriesSchema).meta({
          description: "The shardlets summed, each with its read model and recent read error; `forecast` is false for a shardlet nobody read over the analyzer's history (its reads are not forecast).",
        }),
      })
      .meta({ description: "Read forecasts, made and judged as the write forecasts are (per-series selection, their own error tracker). Empty without a run." }),
    readsReason: z.string().nullable().meta({ description: "Why `reads` holds no points, in words; null when it does." }),
  })
  .meta({ id: "LoadForecast" });

export type LoadForecast = z.infer<typeof loadForecastSchema>;
export type LoadForecastSeries = LoadForecast["series"][number];
