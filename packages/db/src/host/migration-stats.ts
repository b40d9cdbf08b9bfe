import type { HostDriver } from "./driver.ts";
import { query } from "./range-query.ts";

/**
 * A shardlet's accounting on a host: its folded totals plus the deltas not folded yet, i.e. the
 * events and bytes every write into it has added (no range scan).
 */
export async function shardletTotals(driver: HostDriver, shardletId: string): Promise<{ events: number; bytes: number }> {
  const res = await query<{ events: number; bytes: number }>(driver, "stats read", {
    text: `SELECT (coalesce((SELECT events FROM sc_stat_total WHERE shardlet_id = $1), 0)
                  + coalesce((SELECT sum(events) FROM sc_stat_delta WHERE shardlet_id = $1), 0))::float8 AS events,
                  (coalesce((SELECT bytes FROM sc_stat_total WHERE shardlet_id = $1), 0)
                  + coalesce((SELECT sum(bytes) FROM sc_stat_delta WHERE shardlet_id = $1), 0))::float8 AS bytes`,
    values: [shardletId],
  });
  return { events: res.rows[0]?.events ?? 0, bytes: res.rows[0]?.bytes ?? 0 };
}

/**
 * Sets a shardlet's accounting totals on a host to measured figures and drops its pending deltas
 * (the destination of a migration takes over the range's counts at the switch).
 */
export async function setShardletTotals(driver: HostDriver, shardletId: string, totals: { events: number; bytes: number }): Promise<void> {
  await query(driver, "stats reset", {
    text: `WITH d AS (DELETE FROM sc_stat_delta WHERE shardlet_id = $1)
           INSERT INTO sc_stat_total AS t (shardlet_id, events, bytes, updated_at) VALUES ($1, $2, $3, now())
           ON CONFLICT (shardlet_id) DO UPDATE SET events = excluded.events, bytes = excluded.bytes, updated_at = now()`,
    values: [shardletId, Math.round(totals.events), Math.round(totals.bytes)],
  });
}

/** Removes a shardlet's accounting rows from a host (it no longer stores the shardlet). */
export async function dropShardletStats(driver: HostDriver, shardletId: string): Promise<void> {
  await query(driver, "stats drop", {
    text: "WITH d AS (DELETE FROM sc_stat_delta WHERE shardlet_id = $1) DELETE FROM sc_stat_total WHERE shardlet_id = $1",
    values: [shardletId],
  });
}
