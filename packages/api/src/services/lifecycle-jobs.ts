import { listLifecycleJobs, listShardletRanges, listUnfinishedLifecycleJobs, type ControlDb, type LifecycleJobInfo } from "@shardcast/db";

/** Running jobs first (oldest first, they matter most), then the most recent finished ones. */
export async function lifecycleJobsForConsole(db: ControlDb, query: { limit: number; streamId?: string }): Promise<LifecycleJobInfo[]> {
  const stream = query.streamId ? { streamId: query.streamId } : {};
  const [running, recent] = await Promise.all([listUnfinishedLifecycleJobs(db, stream), listLifecycleJobs(db, { limit: query.limit, ...stream })]);
  return [...running, ...recent.filter((j) => j.finishedAt !== null)].slice(0, query.limit);
}

/** Ranges of the shardlets jobs name (retired ones included), for "0x… → 0x…, 0x…" labels. */
export async function shardletRanges(db: ControlDb, ids: readonly string[]): Promise<Map<string, { lo: number; hi: number }>> {
  const rows = await listShardletRanges(db, ids);
  return new Map(rows.map((r) => [r.id, { lo: r.lo, hi: r.hi }]));
}
