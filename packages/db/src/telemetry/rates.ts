import { ShardcastError } from "@shardcast/core";
import type { ControlDb } from "../client.ts";
import { tsAt } from "./time.ts";

/** Rates are read from the 1-minute rollups: kept 14 days, so a window of up to a day back is covered. */
export const WRITE_RATE_RESOLUTION_SEC = 60;

/**
 * Writes per second of each routed shardlet over [fromMs, toMs) (whole minutes), from the
 * per-shardlet telemetry rollups. A shardlet that began taking writes after `fromMs` (new, or
 * switched in by a split or merge since: its parents retired later) is left out, as it has no
 * rate of its own for the interval; an older one without rows took no writes there (0).
 */
export async function shardletWriteRates(db: ControlDb, q: { fromMs: number; toMs: number }): Promise<Map<string, number>> {
  const stepMs = WRITE_RATE_RESOLUTION_SEC * 1000;
  if (!Number.isFinite(q.fromMs) || !Number.isFinite(q.toMs) || q.toMs <= q.fromMs || q.fromMs % stepMs !== 0 || q.toMs % stepMs !== 0) {
    throw new ShardcastError("bad_request", `write rates are read over whole minutes with to > from (got ${q.fromMs}..${q.toMs})`);
  }
  const rows = await db.$queryRaw<Array<{ id: string; writes: number }>>`
    WITH live AS (
      SELECT s.id, greatest(s.created_at, p.retired_at, m.retired_at) AS since
      FROM shardlets s
      LEFT JOIN shardlets p ON p.id = s.parent_id
      LEFT JOIN shardlets m ON m.id = s.merged_from_id
      WHERE s.state NOT IN ('retired', 'pending', 'sealed')
    )
    SELECT l.id, coalesce(sum(t.writes), 0)::float8 AS writes
    FROM live l
    LEFT JOIN telemetry_buckets t
      ON t.shardlet_id = l.id AND t.resolution = ${WRITE_RATE_RESOLUTION_SEC}
      AND t.bucket_start >= ${tsAt(q.fromMs)} AND t.bucket_start < ${tsAt(q.toMs)}
    WHERE l.since <= ${tsAt(q.fromMs)}
    GROUP BY l.id`;
  const seconds = (q.toMs - q.fromMs) / 1000;
  return new Map(rows.map((r) => [r.id, r.writes / seconds]));
}
