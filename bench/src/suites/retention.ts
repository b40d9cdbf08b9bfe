import { performance } from "node:perf_hooks";
import pg from "pg";
import { pollUntil, WorkloadGenerator } from "@shardcast/core";
import { countRetentionOperations, listEventPartitions, setStreamRetention, updateLifecycleSettings, updateRetentionSettings } from "@shardcast/db";
import { median, type Suite } from "../harness.ts";
import { startBenchCluster, type BenchCluster } from "../support/cluster.ts";
import { QUIET_WORKER_ENV } from "../support/quiet-worker.ts";

const BATCH = 200;
const PRODUCERS = 4;
/** Partitions per retention window: a host keeps about one span beyond the window. */
const SPANS_PER_WINDOW = 5;

/** The host's clock, epoch seconds (partitions are ranges of it). */
async function hostSecond(db: pg.Pool): Promise<number> {
  return Number((await db.query<{ s: string }>("SELECT floor(extract(epoch FROM now()))::bigint::text AS s")).rows[0]!.s);
}

/**
 * A new host starts with partitions in the default span; the window here is seconds long, so they
 * go (they are empty) and the retention job makes partitions of the bench's span.
 */
async function shortPartitions(db: pg.Pool, span: number): Promise<void> {
  const c = await db.connect();
  try {
    for (const p of await listEventPartitions(c)) if (!p.legacy) await c.query(`DROP TABLE ${p.name}`);
  } finally {
    c.release();
  }
  await pollUntil(`partitions of ${span} s`, async () => {
    const now = await hostSecond(db);
    const c2 = await db.connect();
    try {
      const parts = await listEventPartitions(c2);
      return parts.some((p) => p.lo <= now && now < p.hi && p.hi - p.lo <= span);
    } finally {
      c2.release();
    }
  }, 60_000, { intervalMs: 200 });
}

/** Sends batches with PRODUCERS producers until `until` (performance.now() ms); returns events per second. */
async function ingestUntil(c: BenchCluster, next: () => string, until: number): Promise<number> {
  const started = performance.now();
  let events = 0;
  await Promise.all(
    Array.from({ length: PRODUCERS }, async () => {
      while (performance.now() < until) {
        const res = await fetch(`${c.edgeUrl}/v1/streams/bench/events`, {
          method: "POST",
          headers: { "content-type": "application/json", authorization: `Bearer ${c.token}` },
          body: next(),
        });
        if (!res.ok) throw new Error(`edge answered ${res.status}: ${await res.text()}`);
        await res.arrayBuffer();
        events += BATCH;
      }
    }),
  );
  return (events * 1000) / (performance.now() - started);
}

/** Time partitions of the host whose span has passed (the expired ones wait among them). */
async function closedPartitions(db: pg.Pool): Promise<number> {
  const c = await db.connect();
  try {
    const now = Number((await c.query<{ s: string }>("SELECT floor(extract(epoch FROM now()))::bigint::text AS s")).rows[0]!.s);
    return (await listEventPartitions(c)).filter((p) => !p.legacy && p.hi <= now).length;
  } finally {
    c.release();
  }
}

/**
 * Payload bytes the host stores, in all and in the window before `endSec`, and the bytes of its
 * producers' ids (both generations, tables and keys).
 */
async function storedVsWindow(db: pg.Pool, endSec: number, windowSec: number): Promise<{ stored: number; window: number; partitions: number; ids: number }> {
  const r = await db.query<{ stored: number; window: number; partitions: number; ids: number }>(
    `SELECT coalesce(sum(size_bytes), 0)::float8 AS stored,
            coalesce(sum(size_bytes) FILTER (WHERE part > $1::bigint - $2::bigint AND part <= $1::bigint), 0)::float8 AS window,
            (SELECT count(*)::int FROM pg_inherits WHERE inhparent = 'sc_events'::regclass) AS partitions,
            (pg_total_relation_size('sc_event_ids') + pg_total_relation_size('sc_event_ids_prev'))::float8 AS ids
     FROM sc_events`,
    [endSec, windowSec],
  );
  return r.rows[0]!;
}

/**
 * Steady ingest through a stream whose retention is a few seconds, for many windows, with the
 * retention job running every second in the worker process. Phases alternate: expiry off (the job
 * still creates partitions and moves the stream's start, it only drops nothing) and expiry on,
 * same producers, same run. `stored_bytes_ratio_vs_window`: payload bytes the host stores at the
 * end of each expiry phase against the bytes of the last window (target <= 1.3);
 * `expiry_during_vs_steady_ratio`: ingest while partitions are dropped against ingest without
 * drops (target >= 0.95). Medians over the phases. The producers' ids are not payload: they are
 * reported apart (`id_bytes_vs_window_payload`), as they live up to a window longer than their
 * events (they leave a generation at a time).
 */
export const retentionSuite: Suite = {
  name: "retention",
  description: "steady ingest through many short retention windows: stored bytes against one window's, and ingest while partitions are dropped vs without drops",
  async run({ quick, log }) {
    const windowSec = quick ? 5 : 10;
    const span = Math.max(1, Math.round(windowSec / SPANS_PER_WINDOW));
    const pairs = quick ? 2 : 6;
    const phaseMs = windowSec * 1000;
    const c = await startBenchCluster({ hostCount: 1, shardCount: 4, shardletsPerShard: 1 });
    const host = new pg.Pool({ connectionString: c.hostDsns[0], max: 2 });
    try {
      await setStreamRetention(c.db, c.streamId, { retentionHours: windowSec / 3600 });
      // Splits would change the load between phases: the lifecycle stays off.
      await updateLifecycleSettings(c.db, { enabled: false }, null);
      await updateRetentionSettings(c.db, { enabled: true, partitionSpanSec: span, partitionsAhead: 3 }, null);
      await c.startWorker({ ...QUIET_WORKER_ENV, SHARDCAST_RETENTION_EVERY_MS: "1000", SHARDCAST_MANAGER_EVERY_MS: "60000" });
      await shortPartitions(host, span);
      log(`retention window ${windowSec} s, partitions of ${span} s, the job every second`);

      const gen = new WorkloadGenerator({ seed: "retention-bench", keys: 20_000, bursts: false });
      const next = () => JSON.stringify({ events: gen.nextBatch(BATCH) });
      log("warm-up: four windows, so the first partitions expire and the processes settle");
      await ingestUntil(c, next, performance.now() + 4 * phaseMs);

      const steadyRates: number[] = [];
      const expiryRates: number[] = [];
      const ratios: number[] = [];
      const stored: number[] = [];
      const idBytes: number[] = [];
      let partitions = 0;
      const dropsBefore = await countRetentionOperations(c.db, "retention.drop");
      const rotationsBefore = await countRetentionOperations(c.db, "retention.ids");
      const started = performance.now();
      const steadyPhase = async () => {
        await updateRetentionSettings(c.db, { enabled: false }, null);
        return ingestUntil(c, next, performance.now() + phaseMs);
      };
      // A phase without drops leaves a window of partitions behind: they go first, unmeasured (the
      // producers go on), so the measured phase drops what expires while it runs, as a stream does
      // in steady state, not the backlog too.
      const expiryPhase = async () => {
        await updateRetentionSettings(c.db, { enabled: true }, null);
        const deadline = performance.now() + 3 * phaseMs;
        while ((await closedPartitions(host)) > SPANS_PER_WINDOW + 2 && performance.now() < deadline) await ingestUntil(c, next, performance.now() + 500);
        return ingestUntil(c, next, performance.now() + phaseMs);
      };
      // Steady, with drops, steady, with drops, ..., steady: each phase with drops is compared with
      // the mean of the steady phases on both sides of it, which cancels a steady drift of the
      // machine's speed (it warms up over minutes).
      let before = await steadyPhase();
      steadyRates.push(before);
      for (let pair = 0; pair < pairs; pair++) {
        const expiry = await expiryPhase();
        const s = await storedVsWindow(host, await hostSecond(host), windowSec);
        const after = await steadyPhase();
        const ratio = expiry / ((before + after) / 2);
        partitions = s.partitions;
        steadyRates.push(after);
        expiryRates.push(expiry);
        ratios.push(ratio);
        stored.push(s.stored / s.window);
        idBytes.push(s.ids / s.window);
        log(
          `round ${pair + 1}/${pairs}: while dropping ${Math.round(expiry)} ev/s, steady around it ${Math.round(before)} and ${Math.round(after)} ev/s, ratio ${ratio.toFixed(3)}; stored ${(s.stored / 1e6).toFixed(1)} MB = ${(s.stored / s.window).toFixed(2)} windows, ${s.partitions} partitions; ids ${(s.ids / 1e6).toFixed(1)} MB`,
        );
        before = after;
      }
      const seconds = (performance.now() - started) / 1000 + 4 * windowSec;
      const drops = (await countRetentionOperations(c.db, "retention.drop")) - dropsBefore;
      return {
        stored_bytes_ratio_vs_window: Number(median(stored).toFixed(3)),
        expiry_during_vs_steady_ratio: Number(median(ratios).toFixed(3)),
        steady_events_per_s: Math.round(median(steadyRates)),
        expiry_events_per_s: Math.round(median(expiryRates)),
        partitions_dropped: drops,
        id_generations_dropped: (await countRetentionOperations(c.db, "retention.ids")) - rotationsBefore,
        id_bytes_vs_window_payload: Number(median(idBytes).toFixed(3)),
        partitions_at_end: partitions,
        windows_ingested: Number((seconds / windowSec).toFixed(1)),
        window_s: windowSec,
        partition_span_s: span,
      };
    } finally {
      await host.end();
      await c.close();
    }
  },
};
