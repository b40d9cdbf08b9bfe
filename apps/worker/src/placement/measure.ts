import type { PlacementSettings, ShardletPlacementState } from "@shardcast/core";
import { getDurableCheckpoints, listConsumerGroups, telemetryTotals, type ShardletInfo } from "@shardcast/db";
import type { PlacementDeps } from "./deps.ts";

/** Rows counted when checking a shardlet against the archivable-bytes threshold. */
const ARCHIVABLE_CAP_ROWS = 20_000;

/**
 * Every consumer group's durable position per shardlet. A group without a checkpoint on a
 * shardlet (a split's child before the group reconciles) counts at its lowest position on any
 * shardlet, or at its start when it has none: what a group has still to read is never archived.
 */
async function groupPositions(deps: PlacementDeps, streamId: string, shardlets: readonly ShardletInfo[]): Promise<Map<string, number[]>> {
  const out = new Map<string, number[]>(shardlets.map((s) => [s.id, []]));
  for (const g of await listConsumerGroups(deps.db, streamId)) {
    const checkpoints = await getDurableCheckpoints(deps.db, g.id);
    const known = [...checkpoints.values()].map((c) => c.position);
    const fallback = known.length > 0 ? Math.min(...known) : g.startSeq;
    for (const s of shardlets) out.get(s.id)!.push(checkpoints.get(s.id)?.position ?? fallback);
  }
  return out;
}

/**
 * What the run measures of each live shardlet of a stream: reads since the previous run, consumer
 * positions, what is archived and what may be. A host that does not answer is left out (its
 * shardlets wait for the next run); the others are measured.
 */
export async function measureStream(
  deps: PlacementDeps,
  streamId: string,
  shardlets: readonly ShardletInfo[],
  window: { from: number; to: number },
  settings: PlacementSettings,
): Promise<ShardletPlacementState[]> {
  const totals = await telemetryTotals(deps.db, { streamId, from: window.from, to: window.to });
  const readTotals = new Map(totals.byShardlet.map((s) => [s.shardletId, s]));
  const positions = await groupPositions(deps, streamId, shardlets);
  const byHost = new Map<string, ShardletInfo[]>();
  for (const s of shardlets) byHost.set(s.hostId, [...(byHost.get(s.hostId) ?? []), s]);
  const out: ShardletPlacementState[] = [];
  const storedBefore = deps.clock() - settings.archiveAfterSec * 1000;
  for (const [hostId, list] of byHost) {
    try {
      const driver = await deps.hosts.get(hostId);
      // Batches a stopped restore or a moved range left without rows are dropped here.
      await driver.sweepArchive(streamId);
      const archived = await driver.archivedInRanges(streamId, list);
      const cutSeq = await driver.archiveCutSeq(streamId, storedBefore);
      for (const [i, s] of list.entries()) {
        const a = archived[i]!;
        const pos = positions.get(s.id) ?? [];
        const read = readTotals.get(s.id);
        const archiveUpTo = Math.min(cutSeq, ...pos);
        out.push({
          shardletId: s.id,
          reads: read?.reads ?? 0,
          lowestRead: read?.minSeqRead ?? null,
          groups: pos.length,
          lowestPosition: pos.length > 0 ? Math.min(...pos) : null,
          archivableBytes: await driver.archivableBytes({ streamId, lo: s.lo, hi: s.hi, afterSeq: a.maxSeq ?? 0, upToSeq: archiveUpTo, storedBefore, capRows: ARCHIVABLE_CAP_ROWS }),
          archiveUpTo,
          archivedEvents: a.events,
          archivedBytes: a.bytes,
          archivedMaxSeq: a.maxSeq,
        });
      }
    } catch (err) {
      deps.log.warn("placement: a host did not answer; its shardlets wait for the next run", { hostId, streamId, err });
    }
  }
  return out;
}
