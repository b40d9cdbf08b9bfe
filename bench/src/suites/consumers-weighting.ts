import { performance } from "node:perf_hooks";
import { ShardcastConsumer } from "@shardcast/client";
import { CONSUMER_SETTINGS_KEY, sleep, WorkloadGenerator, type ConsumerSettings } from "@shardcast/core";
import { createApiKey, createStream, updateSetting } from "@shardcast/db";
import type { TestCluster } from "@shardcast/db/testing";
import { median, medianRatio } from "../harness.ts";
import { sendBatches, type BenchCluster } from "../support/cluster.ts";

/** The scenario's own stream: 12 shardlets, so four members split them evenly and a third of a share is a whole shardlet. */
const STREAM = "bench-weighting";
/**
 * Handler time per event of a fast member, ms; the slow member takes three times as long. Heavy
 * handlers at modest rates: the members' own work, not the edge's (on shared, loaded machines),
 * is what limits them.
 */
const FAST_MS_PER_EVENT = 10;
const SLOWDOWN = 3;
/**
 * Arrivals: 20 events every 100 ms, 200/s. A quarter of it (50/s) is more than the slow member
 * takes (33/s by its handler alone, less with its polls); a twelfth is well within it, and a
 * third (67/s) within a fast member's 100/s.
 */
const ARRIVAL_BATCH = 20;
const ARRIVAL_EVERY_MS = 100;
/** Writes outstanding at once: beyond it the edge is not keeping up, and arrivals wait. */
const MAX_IN_FLIGHT = 4;
/** How often the group's lag is sampled. */
const SAMPLE_MS = 100;
/** A group that has not caught up this long after arrivals stop is reported at this figure. */
const CATCH_UP_LIMIT_MS = 60_000;
/** Edges cache the consumer settings this long (apps/edge/src/consumers/wiring.ts), plus a margin. */
const SETTINGS_SETTLE_MS = 5_500;

type Mode = ConsumerSettings["memberWeighting"];

/** Creates the scenario's stream before the edge starts; the API key for it. */
export async function prepareWeightingStream(cluster: TestCluster): Promise<string> {
  await createStream(cluster.db, cluster.hosts, { name: STREAM, shardCount: 6, shardletsPerShard: 2 });
  return (await createApiKey(cluster.db, { name: "weighting", streams: [STREAM], canProduce: true, canConsume: true, createdById: null })).token;
}

/**
 * A group of four members, one of them three times slower per event (its handler waits three
 * times as long), consumes a live stream of 12 shardlets at 200 events/s. Balanced by load alone,
 * each member gets three shardlets: the slow one can take at most 33 events/s of the 50/s that
 * arrive on them, and the group's lag grows for as long as the run lasts. Weighted by measured
 * processing rate (the SDK's telemetry), the slow member keeps one shardlet, which it keeps up with.
 *
 * Per run, both modes run on a group of their own for 20 s (the order alternating run by run). The
 * group's lag is measured as time: when arrivals stop, how long until the group has processed
 * every acknowledged event (the backlog the run left, drained; a group that keeps up drains
 * only what is in its members' hands). `slow_member_lag_ratio` is the median over runs of
 * weighted / equal. The largest lag in events (acknowledged writes minus processed events) is
 * reported beside it: it counts the events in members' hands too, which weighting does not
 * shrink, and the backlog built before the first weights (a few seconds of samples).
 */
export async function slowMemberLag(
  c: BenchCluster,
  opts: { token: string; runs: number; log: (line: string) => void },
): Promise<Record<string, number>> {
  const durationMs = 20_000;
  const gen = new WorkloadGenerator({ seed: "consumers-weighting", keys: 20_000, bursts: false });
  const maxLag: Record<Mode, number[]> = { throughput: [], equal: [] };
  const catchUp: Record<Mode, number[]> = { throughput: [], equal: [] };
  const arrivals: number[] = [];
  let current: Mode | null = null;
  try {
    for (let r = 0; r < opts.runs; r++) {
      const order: Mode[] = r % 2 === 0 ? ["equal", "throughput"] : ["throughput", "equal"];
      for (const mode of order) {
        if (mode !== current) {
          await updateSetting(c.db, CONSUMER_SETTINGS_KEY, { memberWeighting: mode }, null);
          await sleep(SETTINGS_SETTLE_MS);
          current = mode;
        }
        const run = await liveRun(c.edgeUrl, opts.token, `weighting-${mode}-${r}`, durationMs, gen);
        maxLag[mode].push(run.maxLagEvents);
        catchUp[mode].push(run.catchUpMs);
        arrivals.push(run.arrivalsPerSec);
      }
      opts.log(
        `weighting run ${r + 1}/${opts.runs}: balanced by load alone, caught up ${catchUp.equal[r]!.toFixed(0)} ms after arrivals stopped (largest lag ${maxLag.equal[r]!.toFixed(0)} events); weighted by processing rate, ${catchUp.throughput[r]!.toFixed(0)} ms (${maxLag.throughput[r]!.toFixed(0)} events)`,
      );
    }
  } finally {
    await updateSetting(c.db, CONSUMER_SETTINGS_KEY, {}, null);
  }
  return {
    slow_member_lag_ratio: medianRatio(catchUp.throughput, catchUp.equal),
    slow_member_catch_up_ms_weighted: median(catchUp.throughput),
    slow_member_catch_up_ms_equal: median(catchUp.equal),
    slow_member_max_lag_ratio: medianRatio(maxLag.throughput, maxLag.equal),
    slow_member_max_lag_weighted: median(maxLag.throughput),
    slow_member_max_lag_equal: median(maxLag.equal),
    slow_member_arrivals_per_s: median(arrivals),
  };
}

/** One group on a live stream for `durationMs`; its largest lag in events. */
async function liveRun(edgeUrl: string, token: string, group: string, durationMs: number, gen: WorkloadGenerator): Promise<{ maxLagEvents: number; catchUpMs: number; arrivalsPerSec: number }> {
  let processed = 0;
  let acked = 0;
  const members = ["fast-0", "fast-1", "fast-2", "slow"].map(
    (name) =>
      new ShardcastConsumer({
        url: edgeUrl,
        apiKey: token,
        stream: STREAM,
        group,
        name,
        // Only what arrives during the run: the previous runs' events are not this group's to read.
        start: "latest",
        // A poll's round trip is paid per batch: batches of 100 keep it a small part of a member's
        // time, and a slow member's batch still lasts 3 s at most (a hand-off waits for its next poll).
        pollLimit: 100,
        idleWaitMs: 5,
        maxIdleWaitMs: 20,
        handler: async (batch) => {
          await sleep(batch.events.length * FAST_MS_PER_EVENT * (name === "slow" ? SLOWDOWN : 1));
          processed += batch.events.length;
        },
      }),
  );
  await Promise.all(members.map((m) => m.start()));
  let producing = true;
  const startedAt = performance.now();
  // Arrivals on a schedule, not one after another's answer: a slow answer must not slow the arrivals.
  const producer = (async () => {
    const inFlight = new Set<Promise<void>>();
    for (let tick = 1; producing; tick++) {
      if (inFlight.size < MAX_IN_FLIGHT) {
        const events = gen.nextBatch(ARRIVAL_BATCH);
        const p: Promise<void> = sendBatches(edgeUrl, token, [JSON.stringify({ events })], 1, STREAM).then(() => {
          acked += events.length;
          inFlight.delete(p);
        });
        inFlight.add(p);
      }
      await sleep(Math.max(0, startedAt + tick * ARRIVAL_EVERY_MS - performance.now()));
    }
    await Promise.all(inFlight);
  })();
  let largest = 0;
  let catchUpMs = Number.NaN;
  let arrivalsPerSec = Number.NaN;
  try {
    const end = performance.now() + durationMs;
    while (performance.now() < end) {
      await sleep(SAMPLE_MS);
      largest = Math.max(largest, acked - processed);
    }
    producing = false;
    await producer;
    arrivalsPerSec = acked / ((performance.now() - startedAt) / 1000);
    const stoppedAt = performance.now();
    while (processed < acked && performance.now() - stoppedAt < CATCH_UP_LIMIT_MS) await sleep(SAMPLE_MS / 10);
    catchUpMs = performance.now() - stoppedAt;
  } finally {
    producing = false;
    await producer;
    await Promise.all(members.map((m) => m.stop()));
  }
  return { maxLagEvents: largest, catchUpMs, arrivalsPerSec };
}
