import { listReachableHosts, listShards, listStreamNames, listUnfinishedLifecycleJobs, loadRoutes, recordOperation } from "@shardcast/db";
import type { WorkerDeps } from "../deps.ts";
import { probeErrorMessage } from "../domain/health.ts";
import { drainOverflow } from "../lifecycle/drain.ts";
import { busyShardlets, drainableShardlets } from "../lifecycle/scan.ts";
import { checkAborted } from "../domain/abort.ts";

export interface DrainSweepResult {
  streams: number;
  /** Overflow rows written into their live shardlet in this sweep. */
  drained: number;
  /** Shardlets whose rows stayed because their fence moved meanwhile (a job took them). */
  blocked: number;
  /** Drained rows deleted after the grace period. */
  purged: number;
}

const DEFAULT_GRACE_MS = 60_000;
const DEFAULT_DRAIN_CHUNK_ROWS = 1_000;

/**
 * `overflow.drain`: the safety net behind the jobs' own drains. Events that reached an overflow
 * log after the job of their shardlet drained it (an edge with a stale view) are written into the
 * live shardlet that now owns their key, for every shardlet that is active and that no job holds;
 * then drained rows older than the grace period are purged on every host.
 */
export async function runOverflowDrain(deps: WorkerDeps, opts: { streamId?: string; signal?: AbortSignal } = {}): Promise<DrainSweepResult> {
  const { db } = deps;
  const [jobs, locked, streams] = await Promise.all([
    listUnfinishedLifecycleJobs(db),
    deps.opLocks ? deps.opLocks.lockedShardlets() : Promise.resolve([] as string[]),
    opts.streamId ? Promise.resolve([{ id: opts.streamId }]) : listStreamNames(db),
  ]);
  const busy = busyShardlets(jobs, locked);
  const out: DrainSweepResult = { streams: streams.length, drained: 0, blocked: 0, purged: 0 };
  for (const { id: streamId } of streams) {
    const [shards, routes] = await Promise.all([listShards(db, streamId), loadRoutes(db, streamId)]);
    const byShardlet = new Map<string, number>();
    let cleared = 0;
    for (const shard of shards) {
      checkAborted(opts.signal);
      try {
        const home = await deps.hosts.get(shard.homeHostId);
        const targets = drainableShardlets(
          routes.filter((r) => r.shardId === shard.id),
          busy,
        );
        // A flag outlives its rows when the job that drained them stopped before clearing it.
        if (!targets.some((t) => t.overflowPending) && (await home.countOverflow(streamId, shard.lo, shard.hi)) === 0) continue;
        const r = await drainOverflow(deps, {
          streamId,
          home,
          targets,
          chunkRows: deps.lifecycle?.drainChunkRows ?? DEFAULT_DRAIN_CHUNK_ROWS,
          signal: opts.signal,
        });
        out.drained += r.drained;
        out.blocked += r.blocked.length;
        cleared += r.cleared.length;
        for (const [id, n] of r.byTarget) byShardlet.set(id, n);
      } catch (err) {
        // One unreachable home host must not stop the sweep of the others; the next sweep retries.
        deps.log.warn("overflow drain skipped a shard", { streamId, shardId: shard.id, error: probeErrorMessage(err) });
      }
    }
    // Edges stop looking ids up in the overflow log once they reload the routes.
    if (cleared > 0) {
      await deps.announce?.(streamId).catch((err: unknown) => deps.log.warn("routing announcement failed", { streamId, error: probeErrorMessage(err) }));
    }
    const drained = [...byShardlet.values()].reduce((a, b) => a + b, 0);
    if (drained > 0) {
      await recordOperation(db, {
        kind: "contention",
        status: "succeeded",
        streamId,
        actor: "worker",
        message: `${drained} events that reached the overflow log after their shardlet's change were drained by the sweep`,
        details: { count: drained, byShardlet: Object.fromEntries(byShardlet) },
      });
    }
  }
  const graceMs = deps.lifecycle?.overflowGraceMs ?? DEFAULT_GRACE_MS;
  const hosts = await listReachableHosts(db);
  for (const h of hosts) {
    try {
      out.purged += await (await deps.hosts.get(h.id)).purgeDrainedOverflow(graceMs);
    } catch (err) {
      deps.log.warn("overflow purge skipped a host", { hostId: h.id, error: probeErrorMessage(err) });
    }
  }
  if (out.drained > 0) deps.log.info("overflow sweep drained stragglers", { drained: out.drained });
  return out;
}
