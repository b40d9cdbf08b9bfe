import type { ControlDb } from "../client.ts";
import { PREALLOC_KIND, type Preallocation, type PreallocDetails } from "./records.ts";

/**
 * Events that took the overflow log while the given lifecycle jobs ran (their contention records):
 * what a pre-allocation's own splits and merges cost the writers.
 */
export async function contentionOfJobs(db: ControlDb, jobIds: readonly string[]): Promise<number> {
  if (jobIds.length === 0) return 0;
  const [row] = await db.$queryRaw<Array<{ n: number }>>`
    SELECT coalesce(sum((details->>'count')::bigint), 0)::int AS n
    FROM operations
    WHERE kind = 'contention' AND details->>'jobId' = ANY(${[...jobIds]}::text[])`;
  return row?.n ?? 0;
}

/**
 * The pre-allocation whose range overlaps [lo, hi) of the stream and that is open, or was
 * closed within `recentMs`: the prediction a contention record on that range belongs to.
 */
export async function preallocationOverlapping(
  db: ControlDb,
  q: { streamId: string; lo: number; hi: number; nowMs: number; recentMs: number },
): Promise<Preallocation | null> {
  const rows = await db.operation.findMany({
    where: {
      kind: PREALLOC_KIND,
      streamId: q.streamId,
      OR: [{ status: "running" }, { finishedAt: { gte: new Date(q.nowMs - q.recentMs) } }],
    },
    orderBy: [{ startedAt: "desc" }, { id: "desc" }],
    take: 100,
  });
  for (const r of rows) {
    const d = r.details as PreallocDetails | null;
    const range = d?.range;
    if (!d || !range || range[0] >= q.hi || range[1] <= q.lo) continue;
    return { id: r.id, streamId: r.streamId ?? "", shardletId: r.shardletId ?? "", status: r.status, message: r.message, details: d, startedAt: r.startedAt };
  }
  return null;
}
