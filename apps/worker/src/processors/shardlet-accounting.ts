import { listAccountedShardlets, listReachableHosts, recordMetrics, setHostEventCount, writeShardletFigures } from "@shardcast/db";
import type { WorkerDeps } from "../deps.ts";
import { accountShardlet, hostEventCount, streamRates, type ShardletUpdate, type StreamRate } from "../domain/accounting.ts";
import { probeErrorMessage } from "../domain/health.ts";
import { checkAborted } from "../domain/abort.ts";

export interface AccountingResult {
  hosts: number;
  /** Hosts whose totals could not be read this round (down, timed out). */
  failedHosts: string[];
  shardlets: number;
  rates: StreamRate[];
}

/** One host: fold its write deltas, then write the shardlets' figures in one statement. */
async function accountHost(deps: WorkerDeps, hostId: string, nowMs: number): Promise<ShardletUpdate[]> {
  const { db } = deps;
  const driver = await deps.hosts.get(hostId);
  const totals = await driver.foldStats();
  const byShardlet = new Map(totals.map((t) => [t.shardletId, t]));
  const rows = await listAccountedShardlets(db, hostId);
  const updates = rows.map((r) =>
    accountShardlet(
      {
        id: r.id,
        streamId: r.streamId,
        eventCount: r.eventCount,
        sizeBytes: r.sizeBytes,
        writeRate: r.writeRate,
        updatedAtMs: r.updatedAt.getTime(),
      },
      byShardlet.get(r.id),
      nowMs,
    ),
  );
  await writeShardletFigures(db, hostId, new Date(nowMs), updates.filter((u) => u.write));
  await setHostEventCount(db, hostId, Math.round(hostEventCount(totals)));
  return updates;
}

/**
 * Folds every host's write totals into the control plane: per shardlet size, event count and write
 * rate, per host event count, and `ingest.events_per_s` / `ingest.bytes_per_s` samples per stream
 * and in total. A host that fails is skipped (logged) and caught up on the next round: totals are
 * cumulative, so nothing is lost.
 */
export async function runShardletAccounting(deps: WorkerDeps, opts: { signal?: AbortSignal } = {}): Promise<AccountingResult> {
  const { db } = deps;
  const hosts = await listReachableHosts(db);
  const nowMs = deps.clock();
  const updates: ShardletUpdate[] = [];
  const failedHosts: string[] = [];
  checkAborted(opts.signal);
  // In parallel: a host that hangs until its connect timeout must not hold up the others.
  const results = await Promise.allSettled(hosts.map((h) => accountHost(deps, h.id, nowMs)));
  results.forEach((r, i) => {
    const host = hosts[i]!;
    if (r.status === "fulfilled") updates.push(...r.value);
    else {
      failedHosts.push(host.id);
      deps.log.warn("accounting skipped a host", { hostId: host.id, host: host.name, error: probeErrorMessage(r.reason) });
    }
  });
  checkAborted(opts.signal);
  const rates = streamRates(updates);
  const at = nowMs;
  await recordMetrics(
    db,
    rates.flatMap((r) => [
      { name: "ingest.events_per_s", value: r.eventsPerSec, streamId: r.streamId, at },
      { name: "ingest.bytes_per_s", value: r.bytesPerSec, streamId: r.streamId, at },
    ]),
  );
  return { hosts: hosts.length, failedHosts, shardlets: updates.length, rates };
}
