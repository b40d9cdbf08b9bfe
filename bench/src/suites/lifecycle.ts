import { performance } from "node:perf_hooks";
import { pollUntil, WorkloadGenerator } from "@shardcast/core";
import { listShardlets, updateLifecycleSettings } from "@shardcast/db";
import { createQueue, createQueueEvents, enqueue } from "@shardcast/jobs";
import { createRedis } from "@shardcast/runtime";
import { median, type Suite } from "../harness.ts";
import { sendBatches, startBenchCluster, type BenchCluster } from "../support/cluster.ts";
import { edgeCounters, holdLine } from "../support/edge-counters.ts";

const BATCH = 500;
const PRODUCERS = 4;
/**
 * Churn keeps the stream between these many live shardlets: split below, merge above. The share of
 * events that meets a locked shardlet is about (lock window / job cycle) x (that shardlet's share
 * of the traffic), so it depends on how many shardlets share the load; 32-48 is a small stream.
 */
const MIN_LIVE = 32;
const MAX_LIVE = 48;

async function liveShardlets(c: BenchCluster) {
  return (await listShardlets(c.db, { streamId: c.streamId })).filter((s) => s.state === "active");
}

async function fallbackTotal(c: BenchCluster): Promise<number> {
  const rows = await listShardlets(c.db, { streamId: c.streamId, includeRetired: true });
  return rows.reduce((sum, r) => sum + r.fallbackCount, 0);
}

async function undrained(c: BenchCluster): Promise<number> {
  let n = 0;
  for (const id of c.hostIds) n += await (await c.hosts.get(id)).countOverflow(c.streamId);
  return n;
}

async function drained(c: BenchCluster): Promise<void> {
  let left = 0;
  await pollUntil("the overflow to drain", async () => (left = await undrained(c)) === 0, 60_000, {
    intervalMs: 250,
    explain: () => `${left} events still in the overflow after 60 s`,
  });
}

/**
 * Ingest throughput while splits and merges run back to back vs. steady state, in the same run:
 * phases alternate (steady, churn, steady, churn, ...) with the same producers and batch sizes.
 * During churn the bench keeps one lifecycle job running at all times (split a random shardlet
 * while the stream has fewer than MAX_LIVE, else merge a random adjacent pair), through the real
 * job queue and worker process. `fallback_share` = events that went through an overflow log during
 * churn / all events sent during churn.
 */
export const lifecycleSuite: Suite = {
  name: "lifecycle",
  description: "ingest while splits and merges run continuously vs steady state; share of events through the overflow",
  async run({ quick, log }) {
    const pairs = quick ? 2 : 4;
    const batchesPerPhase = quick ? 100 : 240;
    const c = await startBenchCluster({ hostCount: 2, shardCount: 8, shardletsPerShard: 4 });
    const connection = createRedis(c.redisUrl, { forBullmq: true });
    const queue = createQueue(connection, { prefix: c.prefix });
    const events = createQueueEvents(connection, { prefix: c.prefix });
    try {
      // The bench drives the lifecycle itself, so the automatic manager stays off.
      await updateLifecycleSettings(c.db, { enabled: false }, null);
      await c.startWorker({ SHARDCAST_MANAGER_EVERY_MS: "60000", SHARDCAST_DRAIN_EVERY_MS: "1000", SHARDCAST_ACCOUNTING_EVERY_MS: "2000" });
      await events.waitUntilReady();
      const gen = new WorkloadGenerator({ seed: "lifecycle-bench", keys: 50_000, zipfS: 0.8, bursts: false });
      const prepare = () => Array.from({ length: batchesPerPhase }, () => JSON.stringify({ events: gen.nextBatch(BATCH) }));

      log("warm-up (ingest, then a split and a merge so every code path has run once)");
      await sendBatches(c.edgeUrl, c.token, prepare(), PRODUCERS);

      const steadyRates: number[] = [];
      const churnRates: number[] = [];
      const ratios: number[] = [];
      let churnEvents = 0;
      let churnFallback = 0;
      let splits = 0;
      let merges = 0;
      let rng = 12345;
      const rand = (n: number) => {
        rng = (rng * 1103515245 + 12345) & 0x7fffffff;
        return rng % n;
      };

      // Split up to MAX_LIVE, then merge down to MIN_LIVE, and again.
      let splitting = true;
      const churn = async (stop: () => boolean) => {
        while (!stop()) {
          const live = await liveShardlets(c);
          if (live.length >= MAX_LIVE) splitting = false;
          if (live.length <= MIN_LIVE) splitting = true;
          let job;
          if (splitting) {
            const target = live[rand(live.length)]!;
            job = await enqueue(queue, "shardlet.split", { shardletId: target.id, reason: "benchmark churn" });
            splits++;
          } else {
            const pairsAvail = live.filter((a, i) => {
              const b = live[i + 1];
              return b && b.lo !== undefined && a.hi === b.lo && a.shardId === b.shardId && a.hostId === b.hostId;
            });
            const left = pairsAvail[rand(pairsAvail.length)];
            const right = left && live[live.indexOf(left) + 1];
            if (!left || !right) {
              const target = live[rand(live.length)]!;
              job = await enqueue(queue, "shardlet.split", { shardletId: target.id, reason: "benchmark churn" });
              splits++;
            } else {
              job = await enqueue(queue, "shardlet.merge", { leftId: left.id, rightId: right.id, reason: "benchmark churn" });
              merges++;
            }
          }
          await job.waitUntilFinished(events).catch((err: unknown) => log(`lifecycle job failed: ${err instanceof Error ? err.message : String(err)}`));
        }
      };

      {
        let warm = true;
        const warming = churn(() => !warm);
        await sendBatches(c.edgeUrl, c.token, prepare().slice(0, 20), PRODUCERS);
        warm = false;
        await warming;
        await drained(c);
      }
      splits = 0;
      merges = 0;

      for (let pair = 0; pair < pairs; pair++) {
        const steadyBodies = prepare();
        let t0 = performance.now();
        await sendBatches(c.edgeUrl, c.token, steadyBodies, PRODUCERS);
        const steady = (steadyBodies.length * BATCH * 1000) / (performance.now() - t0);

        const churnBodies = prepare();
        const fbBefore = await fallbackTotal(c);
        const counters = await edgeCounters(c.edgeUrl);
        let sending = true;
        t0 = performance.now();
        const churning = churn(() => !sending);
        await sendBatches(c.edgeUrl, c.token, churnBodies, PRODUCERS);
        const churnMs = performance.now() - t0;
        const churned = (churnBodies.length * BATCH * 1000) / churnMs;
        sending = false;
        await churning;
        // Count what went through the overflow once it has all been drained.
        await drained(c);
        churnFallback += (await fallbackTotal(c)) - fbBefore;
        churnEvents += churnBodies.length * BATCH;

        steadyRates.push(steady);
        churnRates.push(churned);
        ratios.push(churned / steady);
        log(
          `pair ${pair + 1}/${pairs}: steady ${Math.round(steady)} ev/s, churn ${Math.round(churned)} ev/s, ratio ${(churned / steady).toFixed(2)}; ${splits} splits, ${merges} merges so far; ` +
            `during churn (${(churnMs / 1000).toFixed(1)} s, ${PRODUCERS} producers), ${holdLine(counters, await edgeCounters(c.edgeUrl))}`,
        );
      }
      return {
        steady_events_per_s: Math.round(median(steadyRates)),
        churn_events_per_s: Math.round(median(churnRates)),
        churn_vs_steady_ratio: Number(median(ratios).toFixed(3)),
        fallback_share: Number((churnFallback / churnEvents).toFixed(4)),
        splits,
        merges,
        live_shardlets: (await liveShardlets(c)).length,
      };
    } finally {
      await events.close();
      await queue.close();
      connection.disconnect();
      await c.close();
    }
  },
};
