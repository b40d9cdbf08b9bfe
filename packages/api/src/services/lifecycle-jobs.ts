import { listLifecycleJobs, listUnfinishedLifecycleJobs, type ControlDb, type LifecycleJobInfo } from "@shardcast/db";

/** Running jobs first (oldest first, they matter most), then the most recent finished ones. */
export async function lifecycleJobsForConsole(db: ControlDb, query: { limit: number; streamId?: string }): Promise<LifecycleJobInfo[]> {
  const stream = query.streamId ? { streamId: query.streamId } : {};
  const [running, recent] = await Promise.all([listUnfinishedLifecycleJobs(db, stream), listLifecycleJobs(db, { limit: query.limit, ...stream })]);
  return [...running, ...recent.filter((j) => j.finishedAt !== null)].slice(0, query.limit);
}

