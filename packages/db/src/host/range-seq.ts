import type { HostDriver } from "./driver.ts";
import type { MigrationRange } from "./migration.ts";
import { query } from "./range-query.ts";

/**
 * The highest sequence number stored in a key-hash range of a stream on this host (0 when none):
 * the bound of a history copy, whose sealed range takes no writes, so every row it will ever hold
 * is at or below it, and rows that come later into the range (another shardlet's) are above it.
 */
export async function maxRangeSeq(driver: HostDriver, range: MigrationRange): Promise<number> {
  const res = await query<{ seq: string | null }>(driver, "range max seq", {
    text: "SELECT max(seq)::text AS seq FROM sc_events WHERE stream_id = $1 AND key_hash >= $2 AND key_hash < $3",
    values: [range.streamId, range.lo, range.hi],
  });
  return Number(res.rows[0]?.seq ?? 0);
}
