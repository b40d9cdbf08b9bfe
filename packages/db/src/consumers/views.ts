import type { ControlDb } from "../client.ts";
import { num } from "../errors.ts";

export interface ConsumerGroupSummary {
  groupId: string;
  group: string;
  streamId: string;
  stream: string;
  members: number;
  shardlets: number;
  /** Sums and maxima of the checkpoint job's last lag measurement (null before the first). */
  lagEvents: number | null;
  maxLagSeconds: number | null;
  lastCheckpointAt: number | null;
  checkpointsLastHour: number;
  /** Events that expired before the group read them (retention moved the stream's start past them). */
  expiredUnreadEvents: number;
}

/** Every group (of one stream, or all) with its size, lag and checkpoint activity, for the console. */
export async function listConsumerGroupSummaries(db: ControlDb, streamId?: string): Promise<ConsumerGroupSummary[]> {
  const groups = await db.consumerGroup.findMany({ where: streamId ? { streamId } : {}, include: { stream: { select: { name: true } } }, orderBy: { name: "asc" } });
  if (groups.length === 0) return [];
  const ids = groups.map((g) => g.id);
  const hourAgo = new Date(Date.now() - 3_600_000);
  const [members, assignments, lastCheckpoints, recent] = await Promise.all([
    db.consumerMember.groupBy({ by: ["groupId"], where: { groupId: { in: ids } }, _count: { _all: true } }),
    db.consumerAssignment.groupBy({ by: ["groupId"], where: { groupId: { in: ids } }, _count: { _all: true }, _sum: { lagEvents: true }, _max: { lagSeconds: true } }),
    db.consumerCheckpointLog.groupBy({ by: ["groupId"], where: { groupId: { in: ids }, trigger: { not: "lineage" } }, _max: { at: true } }),
    db.consumerCheckpointLog.groupBy({ by: ["groupId"], where: { groupId: { in: ids }, trigger: { not: "lineage" }, at: { gte: hourAgo } }, _count: { _all: true } }),
  ]);
  const byGroup = <T extends { groupId: string }>(rows: T[]) => new Map(rows.map((r) => [r.groupId, r]));
  const m = byGroup(members);
  const a = byGroup(assignments);
  const c = byGroup(lastCheckpoints);
  const r = byGroup(recent);
  return groups.map((g) => {
    const lag = a.get(g.id);
    return {
      groupId: g.id,
      group: g.name,
      streamId: g.streamId,
      stream: g.stream.name,
      members: m.get(g.id)?._count._all ?? 0,
      shardlets: lag?._count._all ?? 0,
      lagEvents: lag?._sum.lagEvents === null || lag?._sum.lagEvents === undefined ? null : num(lag._sum.lagEvents),
      maxLagSeconds: lag?._max.lagSeconds ?? null,
      lastCheckpointAt: c.get(g.id)?._max.at?.getTime() ?? null,
      checkpointsLastHour: r.get(g.id)?._count._all ?? 0,
      expiredUnreadEvents: num(g.expiredUnreadEvents),
    };
  });
}
