import { bucketStart, hostOutlook, type PlacementShardlet, type RebalanceSettings } from "@shardcast/core";
import { shardletWriteRates, WRITE_RATE_RESOLUTION_SEC, type ControlDb } from "@shardcast/db";

/**
 * Each side of a shardlet's rise is its write rate over this long: the simulator's tick, whose
 * average load its predictive policy takes the rise from, so the product measures what the
 * simulator validated, and a few minutes smooth out one minute's burst that the lead would
 * otherwise carry on for an hour.
 */
const SAMPLE_MS = 5 * 60_000;
/** The newest minute is complete in the rollups this long after it closes (edges flush, the rollup runs every 10 s). */
const ROLLUP_LAG_MS = 30_000;

/**
 * The per-host look-ahead for the rebalancer (core's `hostOutlook`), with the shardlets' load a
 * window ago from telemetry. Both sides of the rise are read from telemetry over equal intervals,
 * although the planner's loads are accounting's write rates: accounting measures since its last
 * round and counts on the hosts, telemetry per minute on the edges, so a rise taken between the two
 * would be partly the difference of the measures (and an hour's lead would multiply it). The rise
 * is added to the accounting load the rest of the plan is on. Empty when the lead is 0.
 */
export async function readHostOutlook(
  db: ControlDb,
  q: { now: number; settings: RebalanceSettings; shardlets: readonly PlacementShardlet[]; inFlightMoves: ReadonlyMap<string, string> },
): Promise<Map<string, number>> {
  const { outlookWindowSec, outlookLeadSec } = q.settings;
  if (!(outlookLeadSec > 0)) return new Map();
  const windowMs = outlookWindowSec * 1000;
  const end = bucketStart(q.now - ROLLUP_LAG_MS, WRITE_RATE_RESOLUTION_SEC);
  const [loadNowMeasured, loadWindowAgo] = await Promise.all([
    shardletWriteRates(db, { fromMs: end - SAMPLE_MS, toMs: end }),
    shardletWriteRates(db, { fromMs: end - windowMs - SAMPLE_MS, toMs: end - windowMs }),
  ]);
  return hostOutlook({ shardlets: q.shardlets, loadWindowAgo, loadNowMeasured, inFlightMoves: q.inFlightMoves, leadPerWindow: outlookLeadSec / outlookWindowSec });
}
