import type { ForecastGate } from "@shardcast/core";

/** A shardlet's key in the checkpoint job's forecast gate: per group, as each group decides on its own. */
export const gateKey = (groupId: string, shardletId: string) => `${groupId}\t${shardletId}`;

/**
 * The arrival rate a checkpoint decision assumes from the forecast (core's `ForecastGate.rate`)
 * in telemetry buckets: the rate just observed is the series' last complete bucket, the interval
 * predicted is the bucket after it, and a bucket the series holds is what arrived then.
 * `firstBucket` is the telemetry bucket number of `history[0]`.
 */
export function gatedForecast(gate: ForecastGate, key: string, s: { history: readonly number[]; firstBucket: number; forecast: number }): number {
  const recent = s.history.at(-1);
  if (recent === undefined) return s.forecast;
  return gate.rate(key, s.firstBucket + s.history.length, s.forecast, recent, (b) => (b >= s.firstBucket ? s.history[b - s.firstBucket] : undefined));
}
