import { createMigrationProposal, getShardletRow, loadPlacementSnapshot } from "@shardcast/db";
import { enqueue, type JobQueue } from "@shardcast/jobs";
import type { WorkerDeps } from "../deps.ts";

/** A host as the cost model weighs it: the writes it carries now against what it takes. */
export interface HostFigures {
  id: string;
  writesPerSec: number;
  capacityPerSec: number;
  /** Bytes stored and the most it may hold (a part moved there must fit). */
  sizeBytes: number;
  capacityBytes: number;
  active: boolean;
}

/** Every host's current writes (the shardlets' measured rates summed) and capacity. */
export async function hostFigures(deps: WorkerDeps): Promise<Map<string, HostFigures>> {
  const snap = await loadPlacementSnapshot(deps.db, { now: deps.clock(), cooldownMs: 0 });
  const out = new Map<string, HostFigures>();
  for (const h of snap.hosts) {
    out.set(h.id, { id: h.id, writesPerSec: 0, capacityPerSec: h.capacityEventsPerSec, sizeBytes: h.sizeBytes, capacityBytes: h.capacityBytes, active: h.status === "active" });
  }
  for (const s of snap.shardlets) {
    const h = out.get(s.hostId);
    if (h) h.writesPerSec += s.load;
  }
  return out;
}

/** The active host other than `sourceId` with the most write headroom that has room for `bytes`; null if none. */
export function bestDestination(hosts: ReadonlyMap<string, HostFigures>, sourceId: string, bytes: number): HostFigures | null {
  let best: HostFigures | null = null;
  for (const h of hosts.values()) {
    if (!h.active || h.id === sourceId || h.sizeBytes + bytes > h.capacityBytes) continue;
    if (!best || h.capacityPerSec - h.writesPerSec > best.capacityPerSec - best.writesPerSec) best = h;
  }
  return best;
}

/**
 * Moves a prepared part to another host: an approved migration (the mover copies it with shadow
 * writes and switches it under the op-lock, as any migration), queued at once when a queue is
 * given, else started by the migration scheduler. By copy, not hand-off: the part was split off
 * moments ago, so its history is a few seconds of events, and a copy keeps its id, which the
 * pre-allocation's record follows to move it home and merge it back. Returns the migration's id (an open migration of
 * the shardlet is reused: at most one exists per shardlet).
 */
export async function movePart(
  deps: WorkerDeps,
  queue: JobQueue | undefined,
  m: { streamId: string; shardletId: string; destHostId: string; reason: string; expectedWritesPerSec: number },
): Promise<string | null> {
  const row = await getShardletRow(deps.db, m.shardletId);
  if (!row || row.state !== "active" || row.hostId === m.destHostId) return null;
  const { id } = await createMigrationProposal(deps.db, {
    streamId: m.streamId,
    shardletId: m.shardletId,
    sourceHostId: row.hostId,
    destHostId: m.destHostId,
    origin: "prealloc",
    reason: m.reason,
    expectedBenefit: m.expectedWritesPerSec,
    expectedLoad: { predictedWritesPerSec: m.expectedWritesPerSec },
    feasibility: {},
    bytesToMove: Number(row.sizeBytes),
    mode: "copy",
    shardletEpoch: row.epoch,
    proposedBy: "prealloc",
    phase: "approved",
  });
  // Same deduplication id as the scheduler's, so the run is queued once either way.
  if (queue) await enqueue(queue, "migration.run", { migrationId: id }, { deduplication: { id: `migration-${id}`, ttl: 10_000 } });
  return id;
}
