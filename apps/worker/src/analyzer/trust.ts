import { ForecastErrorTracker, judgeShardletForecasts, SHARDLET_ERROR_TRACKER_OPTIONS, type AnalyzerShardlet, type ErrorTrackerState } from "@shardcast/core";
import { getLatestTrackerState, type ControlDb } from "@shardcast/db";

/** Three decimals of a tracked value: enough for every threshold, and a smaller saved state. */
export const roundTracked = (v: number) => Math.round(v * 1000) / 1000;

/**
 * Whether each shardlet's forecasts (of writes, or with `which: "reads"` of reads) can be trusted
 * now: the per-shardlet tracker of the latest run, fed what telemetry added since. Returns the
 * tracker (to record this run's forecasts in and save) and the untrusted shardlets with why.
 */
export async function shardletTrust(
  db: ControlDb,
  shardlets: readonly Pick<AnalyzerShardlet, "id" | "history">[],
  baseStep: number,
  which: "shardlets" | "reads" = "shardlets",
): Promise<{ tracker: ForecastErrorTracker; untrusted: Map<string, string> }> {
  const saved = (await getLatestTrackerState(db, which)) as ErrorTrackerState | null;
  const tracker = new ForecastErrorTracker(SHARDLET_ERROR_TRACKER_OPTIONS, saved ?? undefined);
  return { tracker, untrusted: judgeShardletForecasts(tracker, shardlets, baseStep, roundTracked) };
}
