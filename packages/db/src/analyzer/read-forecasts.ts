import type { ControlDb } from "../client.ts";
import { tsAt as ts } from "../telemetry/time.ts";

/** A shardlet's read forecast from the latest analyzer run that made read forecasts. */
export interface ReadForecast {
  /** Highest forecast reads/s over [fromMs, toMs). */
  peak: number;
  /** What made it: the series' chosen model, or `observed_rate` where the forecast is not trusted. */
  model: string;
  runAt: number;
}

/**
 * The latest read forecast of each of these shardlets over [fromMs, toMs) (the buckets that start
 * there; the bucket under way counts as well). Shardlets
 * the run did not forecast (too new, or no run yet) are absent: callers fall back on the observed
 * read rate.
 */
export async function latestReadForecasts(db: ControlDb, q: { shardletIds: readonly string[]; fromMs: number; toMs: number; bucketMs: number }): Promise<Map<string, ReadForecast>> {
  if (q.shardletIds.length === 0) return new Map();
  const rows = await db.$queryRaw<Array<{ shardlet_id: string; peak: number; model: string | null; run_at: Date }>>`
    WITH latest AS (
      SELECT id, at, read_series_models FROM analyzer_runs
      WHERE read_series_models IS NOT NULL ORDER BY at DESC, id DESC LIMIT 1)
    SELECT fp.shardlet_id, max(fp.value)::float8 AS peak, max(l.read_series_models ->> fp.shardlet_id) AS model, max(l.at) AS run_at
    FROM latest l JOIN forecast_points fp ON fp.run_id = l.id
    WHERE fp.metric = 'reads' AND fp.shardlet_id = ANY(${[...q.shardletIds]}::text[]) AND fp.bucket_start >= ${ts(q.fromMs - q.bucketMs)} AND fp.bucket_start < ${ts(q.toMs)}
    GROUP BY fp.shardlet_id`;
  return new Map(rows.map((r) => [r.shardlet_id, { peak: r.peak, model: r.model ?? "unknown", runAt: r.run_at.getTime() }]));
}
