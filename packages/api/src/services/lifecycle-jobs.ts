import type { ControlDb } from "@shardcast/db";

/** Phases after which a lifecycle job no longer runs. */
export const FINISHED_PHASES = ["done", "failed"] as const;

export interface LifecycleJobInfo {
  id: string;
  kind: string;
  streamId: string;
  hostId: string;
  phase: string;
  sourceIds: string[];
  childIds: string[];
  splitAt: number | null;
  reason: string;
  actor: string | null;
  attempts: number;
  error: string | null;
  rowsMoved: number;
  drained: number;
  createdAt: Date;
  updatedAt: Date;
  finishedAt: Date | null;
}

/** Running jobs first (oldest first, they matter most), then the most recent finished ones. */
export async function listLifecycleJobsForConsole(db: ControlDb, query: { limit: number; streamId?: string }): Promise<LifecycleJobInfo[]> {
  const stream = query.streamId ? { streamId: query.streamId } : {};
  const [running, finished] = await Promise.all([
    db.lifecycleJob.findMany({ where: { ...stream, phase: { notIn: [...FINISHED_PHASES] } }, orderBy: { createdAt: "asc" }, take: query.limit }),
    db.lifecycleJob.findMany({ where: { ...stream, phase: { in: [...FINISHED_PHASES] } }, orderBy: { createdAt: "desc" }, take: query.limit }),
  ]);
  return [...running, ...finished].slice(0, query.limit).map((j) => ({
    ...j,
    splitAt: j.splitAt === null ? null : Number(j.splitAt),
    rowsMoved: Number(j.rowsMoved),
    drained: Number(j.drained),
  }));
}

/** Ranges of the shardlets a job names, for "0x… → 0x…, 0x…" labels. */
export async function shardletRanges(db: ControlDb, ids: readonly string[]): Promise<Map<string, { lo: number; hi: number }>> {
  if (ids.length === 0) return new Map();
  const rows = await db.shardlet.findMany({ where: { id: { in: [...new Set(ids)] } }, select: { id: true, lo: true, hi: true } });
  return new Map(rows.map((r) => [r.id, { lo: Number(r.lo), hi: Number(r.hi) }]));
}
