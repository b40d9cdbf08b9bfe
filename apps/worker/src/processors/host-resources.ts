import { insertHostResourceSamples, listReachableHosts, readHostResources, type HostResourceSample } from "@shardcast/db";
import type { WorkerDeps } from "../deps.ts";
import { probeErrorMessage } from "../domain/health.ts";
import { checkAborted, withTimeout } from "../domain/abort.ts";
import { estimateHostCapacities, type HostCapacityResult } from "./host-capacity.ts";

export interface HostResourcesResult {
  sampled: number;
  /** Hosts whose statistics could not be read this round. */
  failed: Array<{ hostId: string; error: string }>;
  samples: HostResourceSample[];
  /** Each live host's learned capacity (see host-capacity.ts). */
  capacity: HostCapacityResult[];
}

const DEFAULT_TIMEOUT_MS = 5_000;

/**
 * `host.resources`: reads each reachable host's PostgreSQL statistics (size, commits, rows written,
 * blocks read and hit, connections), in parallel so a slow host does not delay the others, and
 * stores one sample per host with the job's clock, with the write load and ack latency its writers
 * saw in the last complete telemetry interval. Counters are cumulative; consumers take differences
 * between samples for rates. Then it learns each host's capacity from its load against that latency.
 */
export async function runHostResources(deps: WorkerDeps, opts: { signal?: AbortSignal } = {}): Promise<HostResourcesResult> {
  const hosts = await listReachableHosts(deps.db);
  const at = deps.clock();
  const capacity = await estimateHostCapacities(deps.db, { nowMs: at, ...(deps.capacityEstimate ? { options: deps.capacityEstimate } : {}) });
  const latest = new Map(capacity.map((c) => [c.hostId, c.latest]));
  const timeoutMs = DEFAULT_TIMEOUT_MS;
  const results = await Promise.allSettled(
    hosts.map(async (h) => withTimeout(readHostResources(await deps.hosts.get(h.id)), timeoutMs, `statistics of host ${h.name}`)),
  );
  checkAborted(opts.signal);
  const samples: HostResourceSample[] = [];
  const failed: HostResourcesResult["failed"] = [];
  results.forEach((r, i) => {
    const host = hosts[i]!;
    if (r.status === "fulfilled") {
      const w = latest.get(host.id);
      samples.push({ hostId: host.id, at, ...r.value, loadEventsPerSec: w?.load ?? null, ackLatencyMs: w?.latencyMs ?? null });
    }
    else {
      const error = probeErrorMessage(r.reason);
      failed.push({ hostId: host.id, error });
      deps.log.warn("host resources skipped a host", { hostId: host.id, host: host.name, error });
    }
  });
  await insertHostResourceSamples(deps.db, samples);
  return { sampled: samples.length, failed, samples, capacity };
}
