import type { ControlDb } from "./client.ts";
import { num } from "./errors.ts";

/**
 * The control-database side of shardlet accounting: the figures a round starts from and the
 * figures it writes back, per host.
 */

export interface ShardletFigures {
  id: string;
  streamId: string;
  eventCount: number;
  sizeBytes: number;
  writeRate: number;
  /** Start of the current rate window. */
  updatedAt: Date;
}

/**
 * The shardlets a host holds that take writes. Pending shardlets (a split or merge in progress)
 * get their figures from the job, which counts their ranges: they take no writes until they switch
 * in, so there is nothing to measure yet.
 */
export async function listAccountedShardlets(db: ControlDb, hostId: string): Promise<ShardletFigures[]> {
  const rows = await db.shardlet.findMany({
    where: { hostId, state: { notIn: ["retired", "pending"] } },
    select: { id: true, streamId: true, eventCount: true, sizeBytes: true, writeRate: true, updatedAt: true },
  });
  return rows.map((r) => ({ ...r, eventCount: num(r.eventCount), sizeBytes: num(r.sizeBytes) }));
}

export interface ShardletFigureWrite {
  id: string;
  sizeBytes: number;
  eventCount: number;
  writeRate: number;
}

/**
 * Writes a host's shardlet figures in one statement. updated_at is set to `at` (the job's clock):
 * it starts the next rate window. The host_id guard skips a shardlet that moved to another host
 * meanwhile.
 */
export async function writeShardletFigures(db: ControlDb, hostId: string, at: Date, writes: readonly ShardletFigureWrite[]): Promise<void> {
  if (writes.length === 0) return;
  const ids = writes.map((u) => u.id);
  // Locked in id order (`l`) before the update, which locks in whatever order its join reads the
  // rows: the worker's jobs run this, the other multi-row shardlet updates and the switches
  // concurrently, and two that meet the same rows in opposite orders deadlock. The edges' flag
  // writes (overflow-pending.ts) lock the same way.
  await db.$executeRaw`
    WITH l AS MATERIALIZED (SELECT id FROM shardlets WHERE id = ANY(${ids}::text[]) ORDER BY id FOR UPDATE)
    UPDATE shardlets AS s
    SET size_bytes = v.size_bytes, event_count = v.event_count, write_rate = v.write_rate, updated_at = ${at}
    FROM l, unnest(
      ${ids}::text[],
      ${writes.map((u) => Math.round(u.sizeBytes))}::bigint[],
      ${writes.map((u) => Math.round(u.eventCount))}::bigint[],
      ${writes.map((u) => u.writeRate)}::float8[]
    ) AS v(id, size_bytes, event_count, write_rate)
    WHERE s.id = l.id AND v.id = l.id AND s.host_id = ${hostId}`;
}
