import { listShardletRanges, type ControlDb } from "@shardcast/db";

/**
 * Key-hash ranges by shardlet id, for labels such as "0x… → 0x…". Retired shardlets are included:
 * jobs, caches and placement outlive the split or merge that retired what they name.
 */
export async function shardletRanges(db: ControlDb, ids: readonly string[]): Promise<Map<string, { lo: number; hi: number }>> {
  return new Map((await listShardletRanges(db, ids)).map((r) => [r.id, { lo: r.lo, hi: r.hi }]));
}
