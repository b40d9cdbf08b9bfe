import { DEFAULT_CAPACITY_ESTIMATE_OPTIONS, estimateHostCapacity, FINEST_RESOLUTION, type CapacityEstimate, type CapacityEstimateOptions, type LoadObservation } from "@shardcast/core";
import { getAnalyzerSettings, hostLoadObservations, listHosts, saveMeasuredCapacity, type ControlDb } from "@shardcast/db";

export interface HostCapacityResult {
  hostId: string;
  estimate: CapacityEstimate;
  /** The host's last complete telemetry interval (what its writers saw most recently), if any. */
  latest: LoadObservation | null;
}

/**
 * Learns every live host's capacity from the edges' telemetry (write load and ack latency per
 * 10 s bucket, summed over the host's shardlets) and stores the estimate on the host. Buckets
 * younger than the analyzer's telemetry lag are still filling and are left out: a half-counted
 * bucket would look like low load at the latency of a full one.
 */
export async function estimateHostCapacities(
  db: ControlDb,
  opts: { nowMs: number; options?: Partial<Omit<CapacityEstimateOptions, "nowMs">> },
): Promise<HostCapacityResult[]> {
  const options: CapacityEstimateOptions = { ...DEFAULT_CAPACITY_ESTIMATE_OPTIONS, ...opts.options, nowMs: opts.nowMs };
  const stepMs = FINEST_RESOLUTION * 1000;
  const { telemetryLagSec } = await getAnalyzerSettings(db);
  const toMs = Math.floor((opts.nowMs - telemetryLagSec * 1000) / stepMs) * stepMs;
  const fromMs = Math.min(toMs - stepMs, opts.nowMs - options.windowMs);
  const [hosts, observed] = await Promise.all([listHosts(db), hostLoadObservations(db, { fromMs, toMs, resolution: FINEST_RESOLUTION })]);
  const at = new Date(opts.nowMs);
  const out: HostCapacityResult[] = [];
  for (const h of hosts.filter((x) => !x.retiredAt)) {
    const obs = observed.get(h.id) ?? [];
    const estimate = estimateHostCapacity(obs, options);
    if (estimate.eventsPerSec !== h.measuredCapacityEventsPerSec || estimate.reason !== h.measuredCapacityNote) await saveMeasuredCapacity(db, h.id, estimate, at);
    const last = obs[obs.length - 1];
    out.push({ hostId: h.id, estimate, latest: last && last.atMs >= toMs - stepMs ? last : null });
  }
  return out;
}
