import { performance } from "node:perf_hooks";
import { ShardcastConsumer } from "@shardcast/client";
import { sleep, WorkloadGenerator } from "@shardcast/core";
import { createApiKey, createStream } from "@shardcast/db";
import { median, percentile, type Suite } from "../harness.ts";
import { benchEnv } from "../env.ts";
import { sendBatches, startBenchCluster, type BenchCluster } from "../support/cluster.ts";
import { checkpointMetrics } from "./consumers-checkpoint.ts";
import { prepareWeightingStream, slowMemberLag } from "./consumers-weighting.ts";

const BATCH = 500;
const READ_LIMIT = 1000;

function bodies(gen: WorkloadGenerator, events: number): string[] {
  const out: string[] = [];
  for (let n = 0; n < events; n += BATCH) out.push(JSON.stringify({ events: gen.nextBatch(Math.min(BATCH, events - n)) }));
  return out;
}

/** Reads the whole stream by position (pages of 1,000), as a single direct reader would. */
async function readAll(c: BenchCluster, stream: string, token: string, total: number): Promise<number> {
  let after = 0;
  let seen = 0;
  while (seen < total) {
    const res = await fetch(`${c.edgeUrl}/v1/streams/${stream}/events?after=${after}&limit=${READ_LIMIT}`, { headers: { authorization: `Bearer ${token}` } });
    if (!res.ok) throw new Error(`read answered ${res.status}: ${await res.text()}`);
    const page = (await res.json()) as { events: unknown[]; next: number };
    seen += page.events.length;
    after = page.next;
  }
  return seen;
}

function member(c: BenchCluster, group: string, name: string, onEvents: (n: number, at: number) => void, on: { stream: string; token: string } = { stream: "bench", token: c.token }): ShardcastConsumer {
  return new ShardcastConsumer({
    url: c.edgeUrl,
    apiKey: on.token,
    stream: on.stream,
    group,
    name,
    pollLimit: READ_LIMIT,
    idleWaitMs: 5,
    maxIdleWaitMs: 20,
    handler: async (batch) => {
      if (batch.events.length === 0) return;
      const waitMs = benchEnv.SHARDCAST_BENCH_CONSUMERS_HANDLER_MS;
      if (waitMs > 0) await sleep(waitMs);
      onEvents(batch.events.length, performance.now());
    },
  });
}

/**
 * A new group of `size` members reads the whole stream from the start; resolves when all of it was
 * processed and the members left, with the longest join and the leaves' time (both are in the group's time).
 */
async function consumeAll(c: BenchCluster, on: { stream: string; token: string }, group: string, size: number, total: number): Promise<{ joinMs: number; leaveMs: number }> {
  let processed = 0;
  let done!: () => void;
  const finished = new Promise<void>((r) => (done = r));
  const members = Array.from({ length: size }, (_, i) =>
    member(
      c,
      group,
      `m${i}`,
      (n) => {
        processed += n;
        if (processed >= total) done();
      },
      on,
    ),
  );
  const joins = await Promise.all(
    members.map(async (m) => {
      const t0 = performance.now();
      await m.start();
      return performance.now() - t0;
    }),
  );
  await finished;
  const t0 = performance.now();
  await Promise.all(members.map((m) => m.stop()));
  return { joinMs: Math.max(...joins), leaveMs: performance.now() - t0 };
}

/**
 * Consumer groups on a real edge (its own process, one storage host, 8 shardlets): a group of three
 * SDK members reading a preloaded stream vs one direct reader by position of another stream with
 * the same events, both cold (no one read them before), run by run: `consume_vs_read_ratio` is the
 * median of the runs' ratios, `consume_vs_warm_read_ratio` the same against the reader's second pass,
 * served from the edge's memory; the longest gap a join or a leave causes in a
 * member's deliveries while events keep arriving (`rebalance_pause_ms_p99`, against the same
 * members' gaps in steady state); a group with one member three times slower, weighted by
 * processing rate against balanced by load alone (`slow_member_lag_ratio`, consumers-weighting.ts);
 * and the checkpoint policy replayed over the shipped traces (see consumers-checkpoint.ts).
 */
export const consumersSuite: Suite = {
  name: "consumers",
  description: "group of 3 vs direct position reads, rebalance pauses, a slow member weighted vs not, predictive vs fixed checkpoints on the shipped traces",
  async run({ quick, log }) {
    const runs = benchEnv.SHARDCAST_BENCH_CONSUMERS_RUNS ?? (quick ? 3 : 5);
    const all = benchEnv.SHARDCAST_BENCH_CONSUMERS_PARTS === "all";
    const total = quick ? 20_000 : 60_000;
    const out: Record<string, number> = {};
    let weightingToken = "";
    const c = await startBenchCluster({
      hostCount: 1,
      shardCount: 4,
      shardletsPerShard: 2,
      beforeEdge: async (cluster) => {
        weightingToken = await prepareWeightingStream(cluster);
      },
    });
    try {
      const gen = new WorkloadGenerator({ seed: "consumers-bench", keys: 20_000, bursts: false });
      await sendBatches(c.edgeUrl, c.token, bodies(gen, total), 4);
      log(`preloaded ${total} events`);
      const { token } = await createApiKey(c.db, { name: "consumers-bench", streams: ["*"], canProduce: true, canConsume: true, createdById: null });
      const read: number[] = [];
      const warm: number[] = [];
      const group: number[] = [];
      const readCpu: number[] = [];
      const groupCpu: number[] = [];
      for (let r = 0; r < runs; r++) {
        // Both cold: the reader and the group each read a stream of their own with the same events,
        // which no one read before (a later pass of the reader comes from the edge's memory).
        const same = bodies(new WorkloadGenerator({ seed: `consumers-run-${r}`, keys: 20_000, bursts: false }), total);
        const streams = { read: `cold-read-${r}`, group: `cold-group-${r}` };
        for (const name of Object.values(streams)) {
          await createStream(c.db, c.hosts, { name, shardCount: 4, shardletsPerShard: 2 });
          await sendBatches(c.edgeUrl, token, same, 4, name);
        }
        // The edge's CPU per event of each (user + system, from /proc): where a path is bound by
        // the edge's one thread, this is what sets its rate.
        let cpu0 = c.edgeCpuMs();
        let t0 = performance.now();
        await readAll(c, streams.read, token, total);
        read.push(total / ((performance.now() - t0) / 1000));
        readCpu.push(((c.edgeCpuMs() - cpu0) * 1000) / total);
        cpu0 = c.edgeCpuMs();
        t0 = performance.now();
        const { joinMs, leaveMs } = await consumeAll(c, { stream: streams.group, token }, `bench-${r}`, 3, total);
        group.push(total / ((performance.now() - t0) / 1000));
        groupCpu.push(((c.edgeCpuMs() - cpu0) * 1000) / total);
        t0 = performance.now();
        await readAll(c, streams.read, token, total);
        warm.push(total / ((performance.now() - t0) / 1000));
        log(
          `run ${r + 1}/${runs}: position reads ${read[r]!.toFixed(0)} events/s (again, from the edge's memory: ${warm[r]!.toFixed(0)}), group of 3 ${group[r]!.toFixed(0)} events/s ` +
            `(its time includes the longest join, ${joinMs.toFixed(0)} ms, and the leaves, ${leaveMs.toFixed(0)} ms); ` +
            `the edge's CPU per event: reads ${readCpu[r]!.toFixed(1)} us, group ${groupCpu[r]!.toFixed(1)} us`,
        );
      }
      out.read_events_per_s = median(read);
      out.warm_read_events_per_s = median(warm);
      out.group_events_per_s = median(group);
      out.consume_vs_read_ratio = median(group.map((g, i) => g / read[i]!));
      out.consume_vs_warm_read_ratio = median(group.map((g, i) => g / warm[i]!));
      out.read_edge_cpu_us_per_event = Number(median(readCpu).toFixed(1));
      out.group_edge_cpu_us_per_event = Number(median(groupCpu).toFixed(1));

      if (all) {
        Object.assign(out, await rebalancePauses(c, runs, gen, log));
        Object.assign(out, await slowMemberLag(c, { token: weightingToken, runs, log }));
      }
    } finally {
      await c.close();
    }
    if (all) Object.assign(out, await checkpointMetrics({ quick, log }));
    return out;
  },
};

/**
 * Three members consume a live stream (about 2,000 events/s); a fourth joins, then one leaves.
 * For every member still there, the longest gap between its deliveries in the 3 s after each
 * change is the pause that change caused; the same members' longest gap in 3 s windows without a
 * change is the steady-state reference.
 */
async function rebalancePauses(c: BenchCluster, runs: number, gen: WorkloadGenerator, log: (line: string) => void): Promise<Record<string, number>> {
  const WINDOW_MS = 3_000;
  const pauses: number[] = [];
  const steady: number[] = [];
  for (let r = 0; r < runs; r++) {
    let producing = true;
    const producer = (async () => {
      while (producing) {
        const started = performance.now();
        await sendBatches(c.edgeUrl, c.token, bodies(gen, 100), 1);
        await new Promise((res) => setTimeout(res, Math.max(0, 50 - (performance.now() - started))));
      }
    })();
    const deliveries = new Map<string, number[]>();
    const make = (name: string) => member(c, `pause-${r}`, name, (_n, at) => deliveries.set(name, [...(deliveries.get(name) ?? []), at]));
    const members = new Map(["a", "b", "c"].map((n) => [n, make(n)]));
    for (const m of members.values()) await m.start();
    const settle = () => new Promise((res) => setTimeout(res, WINDOW_MS));
    await settle();
    const maxGap = (name: string, from: number, to: number) => {
      const ts = (deliveries.get(name) ?? []).filter((t) => t >= from && t <= to);
      let gap = 0;
      for (let i = 1; i < ts.length; i++) gap = Math.max(gap, ts[i]! - ts[i - 1]!);
      return gap;
    };
    let at = performance.now();
    await settle();
    for (const n of members.keys()) steady.push(maxGap(n, at, at + WINDOW_MS));

    at = performance.now();
    const d = make("d");
    members.set("d", d);
    await d.start();
    await settle();
    for (const n of ["a", "b", "c"]) pauses.push(maxGap(n, at, at + WINDOW_MS));

    at = performance.now();
    await members.get("a")!.stop();
    members.delete("a");
    await settle();
    for (const n of ["b", "c", "d"]) pauses.push(maxGap(n, at, at + WINDOW_MS));

    producing = false;
    await producer;
    for (const m of members.values()) await m.stop();
    log(`rebalance run ${r + 1}/${runs}: longest gap after a join or leave ${Math.max(...pauses).toFixed(0)} ms (steady ${Math.max(...steady).toFixed(0)} ms)`);
  }
  return { rebalance_pause_ms_p99: percentile(pauses, 99), steady_gap_ms_p99: percentile(steady, 99) };
}
