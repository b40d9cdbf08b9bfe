import { performance } from "node:perf_hooks";
import { pipeline } from "node:stream/promises";
import { Readable } from "node:stream";
import pg from "pg";
import { from as copyFrom } from "pg-copy-streams";
import { keyHash, pollUntil, PROFILER_SETTINGS_KEY, RoutingTable, telemetryRedisKeys, WorkloadGenerator, type WorkloadEvent } from "@shardcast/core";
import { createApiKey, createStream, loadRoutes, updateSetting } from "@shardcast/db";
import { HostDriver } from "@shardcast/db/host";
import { createRedis } from "@shardcast/runtime";
import { benchEnv } from "../env.ts";
import { median, percentile, type Suite } from "../harness.ts";
import { sendBatches, startBenchCluster } from "../support/cluster.ts";
import { connectJetStream } from "../support/jetstream.ts";
import { pool } from "../support/pool.ts";
import { profilerMicrosPerEvent } from "../support/profiler-cost.ts";

const BATCH = 500;
const PLAIN = "bench-plain";
const CONCURRENCY = 4;
const KEY_FIELDS = ["region", "device", "amount", "price"];

/** An event as a row of `sc_events`, in the column order of the baselines' INSERT and COPY. */
type EventRow = [streamId: string, seq: number, shardletId: string, key: string, keyHash: number, id: string, type: string, ts: Date, payload: string, sizeBytes: number];

function eventRow(streamId: string, seq: number, shardletOf: (hash: number) => string, e: WorkloadEvent): EventRow {
  const payload = JSON.stringify(e.payload);
  const hash = keyHash(e.key);
  return [streamId, seq, shardletOf(hash), e.key, hash, e.id, e.type, new Date(e.ts), payload, payload.length + e.key.length];
}

interface Prepared {
  /** REST bodies for the edge. */
  bodies: string[];
  /** More of them (their own ids), for the second half of the profiled / unprofiled comparison. */
  more: string[];
  /** A few more, unmeasured, that take the transition from the phase before (see the run loop). */
  settle: string[];
  /** The same events as rows for the direct multi-row INSERT. */
  rows: EventRow[][];
  /** Rows of the same shape (their own positions) for `COPY ... FROM STDIN`. */
  copy: EventRow[][];
  /** Events of the same shape for the JetStream peer (their own ids, so none is a duplicate). */
  peer: WorkloadEvent[][];
}

/** A value in COPY's text format: backslash escapes for what would end a field or row. */
function copyField(v: string | number | Date): string {
  const text = v instanceof Date ? v.toISOString() : String(v);
  return /[\\\t\n\r]/.test(text) ? text.replace(/\\/g, "\\\\").replace(/\t/g, "\\t").replace(/\n/g, "\\n").replace(/\r/g, "\\r") : text;
}

/**
 * Where a batch's time goes on the host: the edge's fenced statement (fence check, ids recorded,
 * events, accounting: one round trip) against the baseline's multi-row INSERT of the same rows,
 * one statement at a time on one connection each, alternating, on a stream and fence of their own.
 * Medians in ms per batch of `BATCH` events with ids.
 */
async function statementCost(dsn: string, batches: number, insertSql: string): Promise<{ fenced: number; insert: number }> {
  const driver = new HostDriver(dsn, { poolSize: 1 });
  const plain = new pg.Client({ connectionString: dsn });
  await plain.connect();
  const streamId = "bench-statement-probe";
  try {
    // The probe's shardlet is named like its stream.
    await driver.setFence(streamId, streamId, 1, "active", { lo: 0, hi: 2 ** 32 });
    const gen = new WorkloadGenerator({ seed: "ingest-statement", keys: 20_000, bursts: false });
    let seq = 3e12;
    const batch = () => gen.nextBatch(BATCH).map((e) => eventRow(streamId, seq++, () => streamId, e));
    const fenced: number[] = [];
    const insert: number[] = [];
    for (let i = 0; i < batches + 3; i++) {
      const events = batch().map(([, s, , key, hash, id, type, ts, payloadJson, sizeBytes]) => ({ seq: s, key, keyHash: hash, id, type, ts: ts.getTime(), payloadJson, sizeBytes }));
      let t = performance.now();
      await driver.fencedWrite({ streamId, shardletId: streamId, epoch: 1, events });
      const f = performance.now() - t;
      const rows = batch();
      t = performance.now();
      await plain.query(insertSql, rows.flat());
      // The first few warm the plans and caches.
      if (i >= 3) {
        fenced.push(f);
        insert.push(performance.now() - t);
      }
    }
    return { fenced: median(fenced), insert: median(insert) };
  } finally {
    await plain.end();
    await driver.close();
  }
}

/**
 * Edge ingest over loopback vs. the same events inserted directly into the same host database with
 * a multi-row INSERT, and with `COPY ... FROM STDIN` (text format, the cheapest way PostgreSQL
 * takes rows; no fence, no idempotency), at batch 500 with 4 concurrent producers, interleaved
 * run by run. The edge
 * runs as its own process (as in production); the bench process only sends prepared bodies. Where
 * NATS JetStream answers (SHARDCAST_BENCH_NATS_URL), the same workload goes to it too, as a peer.
 */
export const ingestSuite: Suite = {
  name: "ingest",
  description:
    "edge REST ingest vs direct multi-row INSERT and COPY into the same host, with the data profiler on vs off, and vs NATS JetStream where one runs (batch 500, 4 producers)",
  async run({ quick, log }) {
    const runs = quick ? 3 : 7;
    const batchesPerRun = quick ? 12 : 40;
    // The profiler's cost: "bench" is profiled at the default sample rate on four key fields;
    // "bench-plain", same layout on the same host, has its sample rate at 0.
    let plainToken = "";
    const c = await startBenchCluster({
      hostCount: 1,
      shardCount: 8,
      shardletsPerShard: 1,
      beforeEdge: async (cluster) => {
        await createStream(cluster.db, cluster.hosts, { name: PLAIN, shardCount: 8, shardletsPerShard: 1 });
        plainToken = (await createApiKey(cluster.db, { name: "plain", streams: [PLAIN], canProduce: true, canConsume: true, createdById: null })).token;
        await updateSetting(cluster.db, PROFILER_SETTINGS_KEY, { streams: { bench: { keyFields: KEY_FIELDS }, [PLAIN]: { sampleRate: 0 } } }, null);
      },
    });
    try {
      const table = RoutingTable.build(c.streamId, await loadRoutes(c.db, c.streamId));
      log(`one storage host; stream with ${table.size} shardlets`);

      const gen = new WorkloadGenerator({ seed: "ingest-bench", keys: 20_000, bursts: false });
      const js = await connectJetStream(benchEnv.SHARDCAST_BENCH_NATS_URL);
      const peer = "peer" in js ? js.peer : null;
      log(peer ? "JetStream peer: file storage, dedupe ids" : `JetStream peer skipped: ${"skipped" in js ? js.skipped : ""}`);
      let seq = 1e12; // direct inserts use their own sequence range, far from the edge's
      const prepare = (): Prepared => {
        const bodies: string[] = [];
        const more: string[] = [];
        const settle = Array.from({ length: 4 }, () => JSON.stringify({ events: gen.nextBatch(BATCH) }));
        const rows: EventRow[][] = [];
        const copy: EventRow[][] = [];
        const shardletOf = (hash: number) => table.lookup(hash).id;
        const peerBatches: WorkloadEvent[][] = [];
        for (let b = 0; b < batchesPerRun; b++) {
          const events = gen.nextBatch(BATCH);
          bodies.push(JSON.stringify({ events }));
          more.push(JSON.stringify({ events: gen.nextBatch(BATCH) }));
          rows.push(gen.nextBatch(BATCH).map((e) => eventRow(c.streamId, seq++, shardletOf, e)));
          copy.push(gen.nextBatch(BATCH).map((e) => eventRow(c.streamId, seq++, shardletOf, e)));
          if (peer) peerBatches.push(gen.nextBatch(BATCH));
        }
        return { bodies, more, settle, rows, copy, peer: peerBatches };
      };

      const direct = new pg.Pool({ connectionString: c.hostDsns[0], max: CONCURRENCY });
      const cols = 10;
      const values = Array.from({ length: BATCH }, (_, r) => `(${Array.from({ length: cols }, (_, c) => `$${r * cols + c + 1}`).join(",")})`).join(",");
      const insertSql = `INSERT INTO sc_events (stream_id, seq, shardlet_id, key, key_hash, event_id, type, ts, payload, size_bytes) VALUES ${values}`;

      const copySql = "COPY sc_events (stream_id, seq, shardlet_id, key, key_hash, event_id, type, ts, payload, size_bytes) FROM STDIN";

      const latencies: number[] = [];
      const edgeRates: number[] = [];
      const directRates: number[] = [];
      const copyRates: number[] = [];
      const copyRatios: number[] = [];
      const ratios: number[] = [];
      const peerRates: number[] = [];
      const peerRatios: number[] = [];
      const plainRates: number[] = [];
      const profilerRatios: number[] = [];
      // The edge's own CPU per event over the measured runs of both streams.
      let edgeCpuMs = 0;
      let edgeEvents = 0;
      const runEdge = async (p: Prepared, record: boolean, plain = false, bodies = p.bodies) => {
        const cpu = c.edgeCpuMs();
        const start = performance.now();
        const acks = await sendBatches(c.edgeUrl, plain ? plainToken : c.token, bodies, CONCURRENCY, plain ? PLAIN : "bench");
        const ms = performance.now() - start;
        if (record) latencies.push(...acks);
        if (record || plain) {
          edgeCpuMs += c.edgeCpuMs() - cpu;
          edgeEvents += bodies.length * BATCH;
        }
        return (bodies.length * BATCH * 1000) / ms;
      };
      const runDirect = async (p: Prepared) => {
        const start = performance.now();
        await pool(p.rows, CONCURRENCY, async (rows) => {
          await direct.query(insertSql, rows.flat());
        });
        return (p.rows.length * BATCH * 1000) / (performance.now() - start);
      };
      // One COPY per batch on its own connection, the rows encoded inside the timing (as the
      // INSERT's parameters are).
      const runCopy = async (p: Prepared) => {
        const start = performance.now();
        await pool(p.copy, CONCURRENCY, async (rows) => {
          const client = await direct.connect();
          try {
            let text = "";
            for (const r of rows) text += `${r.map(copyField).join("\t")}\n`;
            await pipeline(Readable.from([text]), client.query(copyFrom(copySql)));
          } finally {
            client.release();
          }
        });
        return (p.copy.length * BATCH * 1000) / (performance.now() - start);
      };

      log("warm-up");
      const warm = prepare();
      await runEdge(warm, false);
      await runEdge(warm, false, true);
      edgeCpuMs = 0;
      edgeEvents = 0;
      await runDirect(warm);
      await runCopy(warm);
      if (peer) await peer.publish(warm.peer, CONCURRENCY);
      for (let run = 0; run < runs; run++) {
        const p = prepare();
        // Rotate which goes first so table growth and noise fall on all alike. The profiled and the
        // unprofiled stream run back to back in the order A B B A (each run starting with the other
        // one): the first of a sequence pays for what the phase before left behind (a host still
        // writing out the COPY), and with a plain A B pair that fell on the profiled stream in four
        // runs of seven: two unprofiled streams compared so gave a median of 0.94, not 1. A few
        // unmeasured batches to each stream go first and take that transition.
        const pair = run % 2 === 0 ? ["settle", "edge", "plain", "plain2", "edge2"] : ["settle", "plain", "edge", "edge2", "plain2"];
        const order = [pair, ["direct"], ["copy"], ["peer"]].map((_, i, all) => all[(i + run) % all.length]!).flat();
        let e = 0;
        let e2 = 0;
        let plain = 0;
        let plain2 = 0;
        let d = 0;
        let k = 0;
        let j = 0;
        for (const which of order) {
          if (which === "settle") {
            await sendBatches(c.edgeUrl, c.token, p.settle.slice(0, 2), CONCURRENCY, "bench");
            await sendBatches(c.edgeUrl, plainToken, p.settle.slice(2), CONCURRENCY, PLAIN);
          } else if (which === "edge") e = await runEdge(p, true);
          else if (which === "edge2") e2 = await runEdge(p, true, false, p.more);
          else if (which === "plain") plain = await runEdge(p, false, true);
          else if (which === "plain2") plain2 = await runEdge(p, false, true, p.more);
          else if (which === "direct") d = await runDirect(p);
          else if (which === "copy") k = await runCopy(p);
          else if (peer) j = await peer.publish(p.peer, CONCURRENCY);
        }
        // Each stream's rate over its two phases (the same events in each).
        e = (e + e2) / 2;
        plain = (plain + plain2) / 2;
        plainRates.push(plain);
        profilerRatios.push(e / plain);
        edgeRates.push(e);
        directRates.push(d);
        ratios.push(e / d);
        copyRates.push(k);
        copyRatios.push(e / k);
        if (peer) {
          peerRates.push(j);
          peerRatios.push(e / j);
        }
        const vsPeer = peer ? `, JetStream ${Math.round(j)} ev/s, edge/JetStream ${(e / j).toFixed(2)}` : "";
        log(`run ${run + 1}/${runs}: edge ${Math.round(e)} ev/s (profiler off ${Math.round(plain)}, ratio ${(e / plain).toFixed(2)}), direct ${Math.round(d)} ev/s, ratio ${(e / d).toFixed(2)}, COPY ${Math.round(k)} rows/s, ratio ${(e / k).toFixed(2)}${vsPeer}`);
      }
      await direct.end();
      const statement = await statementCost(c.hostDsns[0]!, quick ? 15 : 40, insertSql);
      log(`one batch on one connection: the fenced statement ${statement.fenced.toFixed(1)} ms, the INSERT of the same rows ${statement.insert.toFixed(1)} ms`);
      // The comparison only means something if the profiler ran: the edge flushes its statistics to
      // Redis every few seconds, where they wait (no worker rolls them up here).
      const redis = createRedis(c.redisUrl);
      try {
        await pollUntil("the profiler's statistics in Redis", async () => (await redis.keys(`${telemetryRedisKeys(c.prefix).root}f:*`)).length > 0, 30_000, {
          intervalMs: 250,
          explain: () => "the profiler wrote nothing: profiler_overhead_ratio would compare two unprofiled runs",
        });
      } finally {
        await redis.quit();
      }
      await peer?.close();
      const profilerUs = profilerMicrosPerEvent({ batches: 200, batchSize: BATCH, keyFields: KEY_FIELDS });
      return {
        edge_events_per_s: Math.round(median(edgeRates)),
        direct_events_per_s: Math.round(median(directRates)),
        edge_vs_direct_ratio: Number(median(ratios).toFixed(3)),
        // The edge process's CPU per event while it ingests (µs; NaN without /proc): on cores it shares
        // with the host, what its path costs beyond the host's statement.
        edge_cpu_us_per_event: Number(((edgeCpuMs * 1000) / Math.max(1, edgeEvents)).toFixed(1)),
        // The host's share of the gap: one batch's statement alone, the edge's against the INSERT's.
        fenced_statement_ms: Number(statement.fenced.toFixed(2)),
        insert_statement_ms: Number(statement.insert.toFixed(2)),
        copy_rows_per_s: Math.round(median(copyRates)),
        // Against the cheapest bulk load PostgreSQL has (target >= 0.5).
        edge_vs_copy_ratio: Number(median(copyRatios).toFixed(3)),
        edge_profiler_off_events_per_s: Math.round(median(plainRates)),
        // Ingest with the profiler at the default sample rate over ingest with it off (target >= 0.95).
        profiler_overhead_ratio: Number(median(profilerRatios).toFixed(3)),
        // The profiler's own CPU per event, in this process, and the share of a core it takes at the
        // edge's measured rate: what the ratio above would lose to it on a quiet machine.
        profiler_us_per_event: Number(profilerUs.toFixed(3)),
        profiler_core_share_at_edge_rate: Number(((profilerUs * median(edgeRates)) / 1e6).toFixed(4)),
        ...(peer
          ? { jetstream_events_per_s: Math.round(median(peerRates)), edge_vs_jetstream_ratio: Number(median(peerRatios).toFixed(3)) }
          : {}),
        p99_ack_ms: Number(percentile(latencies, 99).toFixed(1)),
        p50_ack_ms: Number(percentile(latencies, 50).toFixed(1)),
        batch_size: BATCH,
        producers: CONCURRENCY,
        runs,
      };
    } finally {
      await c.close();
    }
  },
};
