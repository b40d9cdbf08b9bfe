import type { ForecastGate } from "@shardcast/core";

/** A shardlet's key in the checkpoint job's forecast gate: per group, as each group decides on its own. */
export const gateKey = (groupId: string, shardletId: string) => `${groupId}\t${shardletId}`;

/**
 * The arrival rate a checkpoint decision assumes from the forecast: the forecast while the gate
 * says it predicts better than the rate just observed (the series' last complete bucket), else
 * that rate. Scores the prediction made for a bucket the series now holds complete, then predicts
 * the bucket after its last one. `firstBucket` is the telemetry bucket number of `history[0]`.
 */
export function gatedForecast(gate: ForecastGate, key: string, s: { history: readonly number[]; firstBucket: number; forecast: number }): number {
  const recent = s.history.at(-1);
  if (recent === undefined) return s.forecast;
  const pending = gate.pendingAt(key);
  const i = pending === undefined ? -1 : pending - s.firstBucket;
  if (pending !== undefined && i >= 0 && i < s.history.length) gate.realized(key, pending, s.history[i]!);
  gate.predicted(key, s.firstBucket + s.history.length, s.forecast, recent);
  return gate.skilled(key) ? s.forecast : recent;
}
