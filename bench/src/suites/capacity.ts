import { keyHash, sleep } from "@shardcast/core";
import { listAnalyzerProposals, listHosts, listShardlets, setConfiguredHostCapacity, updateAnalyzerSettings, type ControlDb } from "@shardcast/db";
import { createRedis } from "@shardcast/runtime";
import { createLogger } from "@shardcast/runtime/logger";
import { runAnalyzer } from "../../../apps/worker/src/analyzer/run.ts";
import { runHostResources } from "../../../apps/worker/src/processors/host-resources.ts";
import { runTelemetryRollup } from "../../../apps/worker/src/processors/telemetry-rollup.ts";
import { median, percentile, type Suite } from "../harness.ts";
import { startBenchCluster, type BenchCluster } from "../support/cluster.ts";
import { offerLoad } from "../support/paced-writer.ts";

/** The hand-entered figure both hosts are registered with: far above what the throttled host serves. */
const CONFIGURED_EVENTS_PER_SEC = 20_000;
/** The throttle: every insert statement into the host's event table waits this long, as behind a slow disk. */
const THROTTLE_SLEEP_MS = 40;
const BATCH = 50;
const MAX_IN_FLIGHT = 16;
/** The edge's connections per host: with the throttle, they bound what the host serves. */
const EDGE_HOST_POOL = 4;
const UNTHROTTLED_RATE = 1_500;
const BUCKET_MS = 10_000;
/** Offered load of the ramp's steps, as fractions of what a closed-loop probe of the throttled host got. */
const RAMP = [0.3, 0.6, 0.85, 1.1, 1.4, 1.7];
/**
 * The analyzer's history (10 s steps). Before it runs, the host is loaded flat at 90% of what it
 * served for that long, so it forecasts a flat load: the control run on the configured figure then
 * has no rising trend to act on, and only the capacity figure tells the two runs apart.
 */
const HISTORY_STEPS = 6;
const FLAT_SHARE = 0.9;

const log = createLogger({ bench: "capacity" }, { level: "error" });

interface RepeatResult {
  measured: number;
  estimateBefore: number;
  sourceBefore: string;
  estimateAfter: number;
  sourceAfter: string;
  error: number;
  movesConfigured: number;
  movesMeasured: number;
  unthrottledAckMs: number;
  throttledLowLoadAckMs: number;
  saturatedAckMs: number;
}

async function untilNextBucket(): Promise<number> {
  const next = Math.ceil((Date.now() + 200) / BUCKET_MS) * BUCKET_MS;
  await sleep(next - Date.now());
  return next;
}

/** Keys whose hashes fall in the host's shardlets, so all the offered load lands on it. */
function keysOn(ranges: ReadonlyArray<{ lo: number; hi: number }>, n: number): string[] {
  const keys: string[] = [];
  for (let i = 0; keys.length < n; i++) {
    const h = keyHash(`cap-${i}`);
    if (ranges.some((r) => h >= r.lo && h < r.hi)) keys.push(`cap-${i}`);
  }
  return keys;
}

async function migrateOffHost(db: ControlDb, hostId: string): Promise<number> {
  const open = await listAnalyzerProposals(db, { status: "open", kind: "migrate", limit: 50 });
  return open.some((p) => p.sourceHostId === hostId) ? 1 : 0;
}

async function effective(db: ControlDb, hostId: string): Promise<{ eventsPerSec: number; source: string }> {
  const h = (await listHosts(db)).find((x) => x.id === hostId)!;
  return { eventsPerSec: h.effectiveCapacityEventsPerSec, source: h.capacitySource };
}

async function oneRepeat(quick: boolean, say: (line: string) => void): Promise<RepeatResult> {
  const stepMs = quick ? BUCKET_MS : 2 * BUCKET_MS;
  const cluster: BenchCluster = await startBenchCluster({
    hostCount: 2,
    shardCount: 1,
    shardletsPerShard: 4,
    beforeEdge: async (c) => {
      for (const id of c.hostIds) await setConfiguredHostCapacity(c.db, id, CONFIGURED_EVENTS_PER_SEC);
      await updateAnalyzerSettings(c.db, { bucketSec: 10, horizonSec: 60, historySteps: HISTORY_STEPS, telemetryLagSec: 0, period: 60 }, null);
    },
  });
  const redis = createRedis(cluster.redisUrl);
  try {
    const edgeUrl = await cluster.startEdge({ SHARDCAST_HOST_POOL_SIZE: String(EDGE_HOST_POOL), SHARDCAST_TELEMETRY_FLUSH_MS: "1000" });
    const shardlets = await listShardlets(cluster.db, { streamId: cluster.streamId });
    const hostId = shardlets[0]!.hostId;
    const keys = keysOn(shardlets.filter((s) => s.hostId === hostId), 256);
    const deps = { db: cluster.db, hosts: cluster.hosts, log, clock: () => Date.now() };
    const offer = (rate: number, fromMs: number, toMs: number) => offerLoad({ edgeUrl, token: cluster.token, stream: "bench", keys, batch: BATCH, rate, maxInFlight: MAX_IN_FLIGHT, fromMs, toMs });
    // The telemetry of a step reaches PostgreSQL as in production: the edge's flush, then the worker's rollup.
    const settle = async () => {
      await sleep(2_500);
      while ((await runTelemetryRollup(deps, { redis, prefix: cluster.prefix })).batches > 0);
    };

    let start = await untilNextBucket();
    const unthrottled = await offer(UNTHROTTLED_RATE, start, start + 2 * BUCKET_MS);
    await settle();
    await runHostResources(deps);
    const before = await effective(cluster.db, hostId);
    say(`unthrottled: ${Math.round(unthrottled.eventsPerSec)} events/s at p50 ${percentile(unthrottled.latenciesMs, 50).toFixed(1)} ms; effective capacity ${before.eventsPerSec} (${before.source})`);

    // Mid-run, the host's disk turns slow: every statement that writes events waits.
    const driver = await cluster.hosts.get(hostId);
    await driver.withClient(async (client) => {
      await client.query(`CREATE FUNCTION bench_slow_disk() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN PERFORM pg_sleep(${THROTTLE_SLEEP_MS / 1000}); RETURN NULL; END $$`);
      await client.query(`CREATE TRIGGER bench_slow_disk AFTER INSERT ON sc_events FOR EACH STATEMENT EXECUTE FUNCTION bench_slow_disk()`);
    });
    const probeFrom = Date.now();
    const probe = await offer(Infinity, probeFrom, probeFrom + 5_000);
    say(`throttled probe (closed loop, ${MAX_IN_FLIGHT} in flight): ${Math.round(probe.eventsPerSec)} events/s`);

    // The direct measurement: offered load in steps aligned to telemetry buckets; the saturation
    // point is the most the host served over a step.
    start = await untilNextBucket();
    const steps = [];
    for (const [i, f] of RAMP.entries()) {
      const from = start + i * stepMs;
      const r = await offer(f * probe.eventsPerSec, from, from + stepMs);
      steps.push({ offered: f * probe.eventsPerSec, ...r });
      say(`  offered ${Math.round(f * probe.eventsPerSec)} -> served ${Math.round(r.eventsPerSec)} events/s, p50 ${percentile(r.latenciesMs, 50).toFixed(1)} ms`);
    }
    const measured = Math.max(...steps.map((s) => s.eventsPerSec));
    start = await untilNextBucket();
    const flat = await offer(FLAT_SHARE * measured, start, start + HISTORY_STEPS * BUCKET_MS);
    say(`flat load for the analyzer's history: ${Math.round(flat.eventsPerSec)} events/s`);
    await settle();

    // The analyzer on the configured figure first (no estimate stored yet for the throttle), then
    // on what host.resources learns from the same telemetry.
    const configuredNow = await effective(cluster.db, hostId);
    await runAnalyzer(deps, { trigger: "manual" });
    const movesConfigured = configuredNow.source === "configured" ? await migrateOffHost(cluster.db, hostId) : 0;
    await runHostResources(deps);
    const after = await effective(cluster.db, hostId);
    await runAnalyzer(deps, { trigger: "manual" });
    const movesMeasured = await migrateOffHost(cluster.db, hostId);
    const error = Math.abs(after.eventsPerSec - measured) / measured;
    say(`measured saturation ${Math.round(measured)} events/s; estimate ${Math.round(after.eventsPerSec)} (${after.source}), error ${error.toFixed(3)}; analyzer moves off it: configured ${movesConfigured}, measured ${movesMeasured}`);
    return {
      measured,
      estimateBefore: before.eventsPerSec,
      sourceBefore: before.source,
      estimateAfter: after.eventsPerSec,
      sourceAfter: after.source,
      error,
      movesConfigured,
      movesMeasured,
      unthrottledAckMs: percentile(unthrottled.latenciesMs, 50),
      throttledLowLoadAckMs: percentile(steps[0]!.latenciesMs, 50),
      saturatedAckMs: percentile(steps[steps.length - 1]!.latenciesMs, 50),
    };
  } finally {
    await redis.quit();
    await cluster.close();
  }
}

/**
 * Measured capacity on a real cluster: two host databases with a hand-entered capacity of 20,000
 * events/s, an edge in front of them, load on one host. Mid-run that host's event inserts are
 * throttled (each statement waits 40 ms, as behind a slow disk); a ramp of offered load measures
 * its saturation point directly, and the product's own path (the edge's telemetry, the worker's
 * rollup and `host.resources`, core's estimator) estimates it. Reports the estimate's error against
 * the measurement, the effective capacity before and after the throttle, and whether the analyzer
 * proposes moving load off the host: on the configured figure (baseline) and on the measured one.
 */
export const capacitySuite: Suite = {
  name: "capacity",
  description: "measured host capacity: a host throttled mid-run, its estimated vs directly measured saturation point, and the analyzer moving load off it",
  async run({ quick, log: say }) {
    const repeats = quick ? 1 : 3;
    const results: RepeatResult[] = [];
    for (let i = 0; i < repeats; i++) {
      say(`repeat ${i + 1} of ${repeats}`);
      results.push(await oneRepeat(quick, say));
    }
    const med = (f: (r: RepeatResult) => number) => median(results.map(f));
    return {
      repeats,
      throttle_ms_per_statement: THROTTLE_SLEEP_MS,
      configured_events_per_s: CONFIGURED_EVENTS_PER_SEC,
      measured_saturation_events_per_s: med((r) => r.measured),
      capacity_estimate_before_events_per_s: med((r) => r.estimateBefore),
      capacity_estimate_before_is_configured: med((r) => (r.sourceBefore === "configured" ? 1 : 0)),
      capacity_estimate_after_events_per_s: med((r) => r.estimateAfter),
      capacity_estimate_after_is_measured: med((r) => (r.sourceAfter === "measured" ? 1 : 0)),
      capacity_estimate_error: med((r) => r.error),
      capacity_estimate_error_max: Math.max(...results.map((r) => r.error)),
      analyzer_moves_off_throttled: med((r) => r.movesMeasured),
      analyzer_moves_off_throttled_configured: med((r) => r.movesConfigured),
      unthrottled_ack_ms_p50: med((r) => r.unthrottledAckMs),
      throttled_low_load_ack_ratio_vs_unthrottled: med((r) => r.throttledLowLoadAckMs / r.unthrottledAckMs),
      saturated_ack_ratio_vs_unthrottled: med((r) => r.saturatedAckMs / r.unthrottledAckMs),
      throttled_capacity_vs_configured_ratio: med((r) => r.measured / CONFIGURED_EVENTS_PER_SEC),
    };
  },
};
