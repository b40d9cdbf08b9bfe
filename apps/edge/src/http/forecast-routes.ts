import { z } from "zod";
import { loadForecastSchema, MAX_ANALYZER_HORIZON_SEC, storableString } from "@shardcast/core";
import { shardletParams } from "./consumer-routes.ts";
import { optionalIntQuery, READ_ERRORS, streamParams, type RouteSpec } from "./route-spec.ts";

/** The query of `GET /v1/streams/{stream}/forecast`; a key longer than ingest accepts names no event. */
export function forecastQuery(maxKeyLength: number) {
  return z
    .object({
      shardlet: shardletParams.shape.shardlet.optional().meta({ description: "One routed shardlet's forecast, by id." }),
      key: storableString
        .min(1)
        .max(maxKeyLength, `query parameter key is longer than the key limit of ${maxKeyLength}`)
        .optional()
        .meta({ description: "A routing key: the forecast of the shardlet whose hash range holds its hash." }),
      horizon: optionalIntQuery("horizon", 1, MAX_ANALYZER_HORIZON_SEC).meta({
        description: "Seconds ahead from the run's first step, at most the run's horizon (`run.horizonSec`; default: all of it). A horizon between two step starts includes the step it falls in.",
      }),
    })
    .refine((q) => q.shardlet === undefined || q.key === undefined, {
      error: "query parameters shardlet and key exclude each other: give one, or neither for the whole stream",
    });
}

/** The forecast routes (see docs/forecasting.md); the edge's route table includes them. */
export function forecastRoutes(maxKeyLength: number): RouteSpec[] {
  return [
    {
      id: "readForecast",
      method: "get",
      path: "/v1/streams/{stream}/forecast",
      summary: "The predicted write rate of a stream, a shardlet or a key's shardlet",
      description:
        "From the latest analyzer run that forecast the stream: its forecast per step over the horizon (for the whole stream the sum over its routed shardlets), the model that made each shardlet's forecast and its recent error. Needs a key that may consume the stream, and counts as one event (and the answer's bytes) against its read quota. A stream no run has forecast yet answers 200 with no points and `status: no_run`. `shardlet` and `key` together, or a `horizon` past the run's, is `400`; an unknown stream or a shardlet the stream does not route is `404`.",
      tag: "forecasts",
      auth: "consume",
      params: streamParams,
      query: forecastQuery(maxKeyLength),
      ok: { status: 200, description: "The forecast.", schema: loadForecastSchema },
      errors: READ_ERRORS,
    },
  ];
}
