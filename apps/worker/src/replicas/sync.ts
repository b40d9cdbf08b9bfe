import { ShardcastError } from "@shardcast/core";
import {
  analyzeReplicaEvents,
  listHostNames,
  appendReplicaRows,
  createReplica,
  deleteReplicaChunk,
  deleteReplicaRecord,
  listHostReplicas,
  listReplicas,
  listShardletsWithHome,
  markReplicaDropped,
  markReplicaDropping,
  readReplicaSource,
  recordReplicaProgress,
  type ReplicaInfo,
  type ShardletWithHome,
} from "@shardcast/db";
import { checkAborted } from "../domain/abort.ts";
import type { ReplicaDeps } from "./deps.ts";

export interface ReplicaSyncResult {
  replicas: number;
  /** Replicas whose verified position rose in this run. */
  advanced: number;
  /** Events copied in this run. */
  events: number;
  dropped: number;
  failed: number;
}

export interface ReplicaSyncOptions {
  signal?: AbortSignal;
  /** Rows per copy chunk (default 2,000). */
  chunkRows?: number;
  /** Most chunks per replica per run, so one far-behind replica does not hold up the others (default 25). */
  maxChunks?: number;
}

const ACTIVE_FENCE = "active";

/**
 * Why a replica can no longer follow its shardlet (moved, split, merged, deleted), or null while
 * it can: a replica follows one shardlet on one host at one epoch.
 */
export function replicaOutdated(r: ReplicaInfo, s: ShardletWithHome | undefined): string | null {
  if (!s || s.state === "retired") return "its shardlet was split, merged or deleted";
  if (s.hostId !== r.sourceHostId) return "its shardlet moved to another host";
  if (s.hostId === r.hostId) return "its shardlet moved onto the replica's host";
  if (s.epoch !== r.epoch) return "its shardlet's epoch changed (a move or a range change)";
  return null;
}

/**
 * Drops a replica: first no longer routed (control database, then announced), then refused by its
 * host to every reader that still names it, then its rows deleted in chunks and its records
 * removed. Each step repeats safely, so a drop cut short is finished by the next run.
 */
export async function dropReplica(deps: ReplicaDeps, r: ReplicaInfo, reason: string, opts: { signal?: AbortSignal; hostRemoved?: boolean } = {}): Promise<void> {
  if (r.state !== "dropping") {
    await markReplicaDropping(deps.db, r.id, reason);
    deps.log.info("read replica dropped", { replicaId: r.id, shardletId: r.shardletId, hostId: r.hostId, reason });
  }
  await deps.announce?.(r.streamId);
  // A host that was removed took the replica's rows with it: only the record is left to delete.
  if (!opts.hostRemoved) {
    const host = await deps.hosts.get(r.hostId);
    await markReplicaDropped(host, r.id);
    while ((await deleteReplicaChunk(host, r.id, 5_000)) > 0) checkAborted(opts.signal);
  }
  await deleteReplicaRecord(deps.db, r.id);
}

/**
 * Copies what each replica lacks from its shardlet's host. A replica is verified up to the
 * stream's watermark, but below the lowest undrained overflow row of its range: that event
 * reaches the shardlet's host only when it is drained, after this copy may have passed it. Rows
 * are read in the same snapshot as the source's fence, and only while it is `active` at the
 * replica's epoch; anything else drops the replica.
 */
export async function syncReplicas(deps: ReplicaDeps, opts: ReplicaSyncOptions = {}): Promise<ReplicaSyncResult> {
  const result: ReplicaSyncResult = { replicas: 0, advanced: 0, events: 0, dropped: 0, failed: 0 };
  const replicas = await listReplicas(deps.db);
  if (replicas.length === 0) return result;
  if (!deps.watermark) throw new ShardcastError("unavailable", "replica sync needs the stream watermark (the worker's Redis)");
  const shardlets = new Map((await listShardletsWithHome(deps.db, [...new Set(replicas.map((r) => r.shardletId))])).map((s) => [s.id, s]));
  const registered = new Set((await listHostNames(deps.db)).map((h) => h.id));
  const watermarks = new Map<string, number>();
  for (const r of replicas) {
    checkAborted(opts.signal);
    result.replicas++;
    try {
      const hostRemoved = !registered.has(r.hostId);
      const why = r.state === "dropping" ? r.reason : hostRemoved ? "its host was removed" : replicaOutdated(r, shardlets.get(r.shardletId));
      if (why !== null) {
        await dropReplica(deps, r, why, { hostRemoved, ...(opts.signal ? { signal: opts.signal } : {}) });
        result.dropped++;
        continue;
      }
      let watermark = watermarks.get(r.streamId);
      if (watermark === undefined) {
        watermark = await deps.watermark(r.streamId);
        watermarks.set(r.streamId, watermark);
      }
      const copied = await syncOne(deps, r, shardlets.get(r.shardletId)!, watermark, opts);
      if (copied === "outdated") {
        await dropReplica(deps, r, "its shardlet's host no longer holds it as active", opts.signal ? { signal: opts.signal } : {});
        result.dropped++;
      } else if (copied !== null) {
        result.advanced++;
        result.events += copied;
      }
    } catch (err) {
      result.failed++;
      deps.log.warn("read replica sync failed; retried next run", { replicaId: r.id, shardletId: r.shardletId, err });
    }
  }
  return result;
}

/** Events copied (null: nothing to copy, or another syncer got there first), or "outdated". */
async function syncOne(deps: ReplicaDeps, r: ReplicaInfo, s: ShardletWithHome, watermark: number, opts: ReplicaSyncOptions): Promise<number | "outdated" | null> {
  const [source, target, home] = await Promise.all([deps.hosts.get(r.sourceHostId), deps.hosts.get(r.hostId), deps.hosts.get(s.shard.homeHostId)]);
  const range = { streamId: r.streamId, lo: r.lo, hi: r.hi };
  // Registering is idempotent: a replica whose host row was lost (or never made) starts over at 0.
  const onHost = await createReplica(target, { replicaId: r.id, ...range });
  if (onHost.state !== "ready") return "outdated";
  const undrained = await home.lowestUndrainedOverflowSeq(r.streamId, r.lo, r.hi, watermark);
  const bound = undrained === null ? watermark : Math.min(watermark, undrained - 1);
  let verified = onHost.verifiedSeq;
  if (bound <= verified) return null;
  const chunkRows = opts.chunkRows ?? 2_000;
  let copied = 0;
  // The host's counts after each append, not this sync's own sums: another syncer may have
  // appended in between, and the record must say what the replica holds at `verified`.
  let held = { events: onHost.events, bytes: onHost.bytes };
  for (let chunk = 0; chunk < (opts.maxChunks ?? 25) && verified < bound; chunk++) {
    checkAborted(opts.signal);
    const read = await readReplicaSource(source, { ...range, shardletId: r.shardletId, afterSeq: verified, upToSeq: bound, limit: chunkRows });
    if (!read.fence || read.fence.state !== ACTIVE_FENCE || read.fence.epoch !== r.epoch) return "outdated";
    const to = read.rows.length < chunkRows ? bound : read.rows[read.rows.length - 1]!.seq;
    const appended = await appendReplicaRows(target, { replicaId: r.id, fromSeq: verified, toSeq: to, rows: read.rows });
    if (!appended) break;
    verified = to;
    copied += read.rows.length;
    held = appended;
  }
  if (verified === onHost.verifiedSeq) return null;
  await recordReplicaProgress(deps.db, r.id, { verifiedSeq: verified, ...held });
  if (onHost.verifiedSeq === 0) {
    await analyzeReplicaEvents(target);
    await deps.announce?.(r.streamId);
  }
  else await deps.progress?.(r.streamId, r.id, verified);
  return copied;
}

/** Replica rows on hosts that the control database does not know (a drop or a create cut short): dropped. */
export async function sweepOrphanReplicas(deps: ReplicaDeps, hostIds: readonly string[], signal?: AbortSignal): Promise<number> {
  let swept = 0;
  for (const hostId of hostIds) {
    checkAborted(signal);
    try {
      const host = await deps.hosts.get(hostId);
      const onHost = await listHostReplicas(host);
      // Read after the host's list: a host row is only made after its record, so one made meanwhile is known here.
      const known = new Set((await listReplicas(deps.db)).map((r) => r.id));
      for (const r of onHost) {
        if (known.has(r.replicaId)) continue;
        await markReplicaDropped(host, r.replicaId);
        while ((await deleteReplicaChunk(host, r.replicaId, 5_000)) > 0) checkAborted(signal);
        swept++;
      }
    } catch (err) {
      deps.log.warn("orphan replica sweep failed on a host; retried next run", { hostId, err });
    }
  }
  return swept;
}
