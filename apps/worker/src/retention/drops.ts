import { dropCandidate } from "@shardcast/core";
import {
  addFreedFigures,
  detachPartition,
  dropDetachedPartition,
  hostPartitions,
  lowerShardletFigures,
  recordOperation,
  rotateIdGenerations,
  streamsWithRows,
  withExpiryLock,
  type ControlDb,
  type DroppedPartition,
  type RotationResult,
} from "@shardcast/db";
import { newestSecond, type HostView } from "./starts.ts";

/**
 * Records a dropped partition where the console and the planners see it: an operation row, the
 * freed figures of each stream it held, and the shardlets' sizes lowered by what it held (their
 * host's totals were lowered in the drop's own transaction), so size thresholds follow the data
 * that is left: splits by size stop, and cold siblings can merge back.
 */
async function recordDrop(db: ControlDb, host: HostView, d: DroppedPartition, startedMs: number): Promise<void> {
  await lowerShardletFigures(db, host.id, d.shardlets);
  await addFreedFigures(db, d.streams);
  await recordOperation(db, {
    kind: "retention.drop",
    status: "succeeded",
    hostId: host.id,
    message: `dropped partition ${d.name} of host ${host.name}: ${d.events} events, ${d.bytes} bytes of ${d.streams.length} streams`,
    details: { partition: d.name, lo: Number.isFinite(d.range.lo) ? d.range.lo : null, hi: d.range.hi, events: d.events, bytes: d.bytes, streams: d.streams },
    durationMs: Date.now() - startedMs,
  });
}

async function dropOne(db: ControlDb, host: HostView, p: { name: string; lo: number; hi: number; detached: boolean; detachPending: boolean }): Promise<DroppedPartition> {
  const started = Date.now();
  if (!p.detached) await detachPartition(host.driver, p);
  const dropped = await dropDetachedPartition(host.driver, p);
  // Archive batches only the partition's rows pointed at are not needed any more.
  for (const streamId of dropped.archived) await host.driver.sweepArchive(streamId);
  await recordDrop(db, host, dropped, started);
  return dropped;
}

/** Records a rotation of the host's id generations (the ids of expired events dropped as one table). */
async function recordRotation(db: ControlDb, host: HostView, r: RotationResult & { rotated: true }): Promise<void> {
  await recordOperation(db, {
    kind: "retention.ids",
    status: "succeeded",
    hostId: host.id,
    message: `dropped the previous generation of event ids of host ${host.name} (${r.droppedBytes} bytes); the current one holds ids of events stored from now`,
    details: { droppedBytes: r.droppedBytes, prevUntil: r.prevUntil },
    durationMs: r.lockMs,
  });
}

export interface HostExpiry {
  dropped: DroppedPartition[];
  /** The id generations' rotation after the drops (null: another run held the host). */
  rotation: RotationResult | null;
}

/**
 * Drops a host's expired partitions, oldest first, at most `max`: those whose newest possible row
 * is older than the cutoff of every stream with a row in it. Streams whose cutoff has passed the
 * partition's upper bound need no look; the others are probed (one index probe each). A
 * partition holding the present (by the run's clock or the host's) is never dropped. Partitions
 * a stopped run detached, or left detaching, are finished first. Then the host's event ids rotate
 * if the previous generation's events have all gone.
 */
export async function dropExpired(db: ControlDb, host: HostView, cutoffs: ReadonlyMap<string, number>, nowSec: number, max: number): Promise<HostExpiry> {
  // A run that overlaps another (a slow host, a manual run) leaves this host to it.
  const out = await withExpiryLock(host.driver, async (): Promise<HostExpiry> => {
    const dropped = await dropUnlocked(db, host, cutoffs, nowSec, max);
    const rotation = await rotateIdGenerations(host.driver);
    if (rotation.rotated) await recordRotation(db, host, rotation);
    return { dropped, rotation };
  });
  return out ?? { dropped: [], rotation: null };
}

async function dropUnlocked(db: ControlDb, host: HostView, cutoffs: ReadonlyMap<string, number>, nowSec: number, max: number): Promise<DroppedPartition[]> {
  const out: DroppedPartition[] = [];
  // Read again under the lock: a run that held it may have dropped some since this run looked.
  const parts = await hostPartitions(host.driver);
  for (const t of parts.detached) out.push(await dropOne(db, host, { ...t, detached: true, detachPending: false }));
  const present = Math.min(nowSec, parts.nowSec);
  for (const p of parts.attached) {
    if (out.length >= max) break;
    const hi = newestSecond(p, parts);
    if (hi === null) continue;
    if (!p.detachPending) {
      const { candidate, blocking } = dropCandidate({ lo: p.lo, hi }, present, cutoffs);
      if (!candidate) continue;
      if ((await streamsWithRows(host.driver, p.name, blocking)).length > 0) continue;
    }
    out.push(await dropOne(db, host, { ...p, detached: false }));
  }
  return out;
}
