import { performance } from "node:perf_hooks";
import { keyHash, pollUntil, RoutingTable, sleep, WorkloadGenerator } from "@shardcast/core";
import {
  createApiKey,
  createMigrationProposal,
  createStream,
  listMigrationEvents,
  loadMigrationRun,
  loadRoutes,
  updateLifecycleSettings,
  updateMigrationSettings,
  type MigrationRun,
} from "@shardcast/db";
import { insertApprovedMigration } from "@shardcast/db/testing";
import { createQueue, enqueue } from "@shardcast/jobs";
import { createRedis } from "@shardcast/runtime";
import { benchEnv } from "../env.ts";
import { median, percentile, type Suite } from "../harness.ts";
import { startBenchCluster, type BenchCluster } from "../support/cluster.ts";
import { counterDelta, edgeCounters, holdLine } from "../support/edge-counters.ts";
import { startMoverProcess, type MoverProcess } from "../support/mover.ts";
import { QUIET_WORKER_ENV } from "../support/quiet-worker.ts";
import { startRangeWriters, type RangeWriters } from "../support/range-writers.ts";

const BATCH = 500;
const PRODUCERS = 4;
/**
 * The copy budget, as a share of the ingest rate of the first baseline: the copy's inserts on
 * the destination compete for the same two cores as ingest on this machine, so the budget is what
 * an operator would give a migration that must not cost ingest more than a tenth.
 */
const COPY_BUDGET_SHARE = 0.1;

function secs(from: number | undefined, to: number | undefined): string {
  return from === undefined || to === undefined ? "?" : ((to - from) / 1000).toFixed(1);
}

/** Where a pair's producers write: a stream of its own, so every pair moves a shardlet of the same size. */
interface Target {
  c: BenchCluster;
  stream: string;
  token: string;
}

async function post(t: Target, body: string): Promise<void> {
  const res = await fetch(`${t.c.edgeUrl}/v1/streams/${t.stream}/events`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${t.token}` },
    body,
  });
  if (!res.ok) throw new Error(`edge answered ${res.status}: ${await res.text()}`);
  await res.arrayBuffer();
}

/** Producers sending batches from `next` until `stop()` holds; events acknowledged and the time taken. */
async function produceUntil(t: Target, next: () => string, stop: () => boolean): Promise<{ events: number; ms: number }> {
  let events = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: PRODUCERS }, async () => {
      while (!stop()) {
        await post(t, next());
        events += BATCH;
      }
    }),
  );
  return { events, ms: performance.now() - t0 };
}

/**
 * One-event writes to keys of the migrating shardlet, one at a time, until stopped: when each was
 * sent and how long it took. It runs through baselines and migrations alike, so both carry its load.
 */
function probe(t: Target, keys: readonly string[]): { samples: Array<{ at: number; ms: number }>; stop(): Promise<void> } {
  let stopped = false;
  const samples: Array<{ at: number; ms: number }> = [];
  const loop = (async () => {
    for (let i = 0; !stopped; i++) {
      const at = Date.now();
      const t0 = performance.now();
      await post(t, JSON.stringify({ events: [{ key: keys[i % keys.length]!, type: "probe", payload: { i } }] }));
      samples.push({ at, ms: performance.now() - t0 });
    }
  })();
  return {
    samples,
    stop: async () => {
      stopped = true;
      await loop;
    },
  };
}

/** The shardlet of the stream the workload writes most to, and its share of the events. */
async function busiest(c: BenchCluster, streamId: string, gen: WorkloadGenerator) {
  const table = RoutingTable.build(streamId, await loadRoutes(c.db, streamId));
  const share = new Map<string, number>();
  const sample = gen.nextBatch(20_000);
  for (const e of sample) {
    const id = table.lookup(keyHash(e.key)).id;
    share.set(id, (share.get(id) ?? 0) + 1);
  }
  const [busyId, busyCount] = [...share].sort((a, b) => b[1] - a[1])[0]!;
  return { table, busy: table.byId(busyId)!, share: busyCount / sample.length };
}

/** `n` keys named `<prefix>-<i>` that hash into the shardlet. */
function keysIn(table: RoutingTable, shardletId: string, prefix: string, n: number): string[] {
  const keys: string[] = [];
  for (let i = 0; keys.length < n; i++) if (table.lookup(keyHash(`${prefix}-${i}`)).id === shardletId) keys.push(`${prefix}-${i}`);
  return keys;
}

async function mustLoad(c: BenchCluster, id: string): Promise<MigrationRun> {
  const m = await loadMigrationRun(c.db, id);
  if (!m) throw new Error(`migration ${id} no longer exists`);
  return m;
}

/** How the migration stands, with its event log: what a failure or a missed deadline shows. */
async function report(c: BenchCluster, row: MigrationRun): Promise<string> {
  const lines = (await listMigrationEvents(c.db, row.id)).map((e) => `  ${e.at.toISOString()} ${e.phase} ${e.level}: ${e.message}`);
  return `migration ${row.phase} (${row.error ?? "no error"}); its log:\n${lines.join("\n")}`;
}

/** Waits for the migration to end; throws (with its event log) if it fails or outlives the deadline. */
async function finished(c: BenchCluster, id: string, deadline: number): Promise<void> {
  let row: MigrationRun | undefined;
  await pollUntil(
    `migration ${id} to finish`,
    async () => {
      row = await mustLoad(c, id);
      // Failed or cancelled is final: waiting out the deadline would only hide the cause longer.
      if (row.phase === "failed" || row.phase === "cancelled") throw new Error(await report(c, row));
      return row.phase === "done";
    },
    deadline - Date.now(),
    { intervalMs: 100, explain: () => (row ? report(c, row) : "") },
  );
}

/** A hand-off is started this long into a hand-off phase, then every HANDOFF_EVERY_MS while the phase lasts. */
const HANDOFF_FIRST_MS = 500;
const HANDOFF_EVERY_MS = 2_500;
/**
 * The latency block starts one every second instead: its producers are paced, so how often does
 * not change its load, and a p99 wants many writes that overlap a hand-off (about ten each).
 */
const LATENCY_HANDOFF_EVERY_MS = 1_000;
/** Writers of small batches whose keys all hash into the handed-off range (their latency is the pause). */
const RANGE_WRITERS = 2;
const RANGE_BATCH = 20;

/** One hand-off as the bench saw it: its run's start and end (epoch ms), and when each lifecycle step ended (ms after the start). */
interface HandoffRun {
  id: string;
  start: number;
  end: number;
  ms: number;
  steps: Record<string, number>;
  /** Runs of runMigration it took (more than one: it paused, or another worker held it for a while). */
  runs: number;
  /** Each run's status (and reason, if any). */
  results: string[];
  /** The shardlet handed off, and its successor. */
  from: string;
  to: string;
  /** CPU time of the mover's process during the run (ms). */
  cpuMs: number;
}

/** A stored row: its size, the shardlet that accepted it, when it was stored (epoch ms). */
interface StoredRow {
  size: number;
  shardletId: string;
  storedAt: number;
}

/** Stored rows of the stream in [lo, hi) on a host, by seq. */
async function rowsOnHost(c: BenchCluster, hostId: string, streamId: string, range: { lo: number; hi: number }): Promise<Map<number, StoredRow>> {
  const d = await c.hosts.get(hostId);
  const res = await d.withClient((cl) =>
    cl.query<{ seq: string; size_bytes: number; shardlet_id: string; stored_ms: number }>(
      `SELECT seq::text AS seq, size_bytes, shardlet_id, (extract(epoch FROM stored_at) * 1000)::float8 AS stored_ms
       FROM sc_events WHERE stream_id = $1 AND key_hash >= $2 AND key_hash < $3`,
      [streamId, range.lo, range.hi],
    ),
  );
  return new Map(res.rows.map((r) => [Number(r.seq), { size: r.size_bytes, shardletId: r.shardlet_id, storedAt: r.stored_ms }]));
}

/**
 * Producers sending batches from `next` at `rate` events/s (open loop: batch i is due i batches
 * after the start, whoever of the PRODUCERS is free sends it) until `stop()` holds.
 */
async function produceAt(t: Target, next: () => string, rate: number, stop: () => boolean): Promise<{ events: number; ms: number }> {
  const intervalMs = (BATCH * 1000) / rate;
  let slot = 0;
  let events = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: PRODUCERS }, async () => {
      for (;;) {
        const due = t0 + slot++ * intervalMs;
        await sleep(Math.max(0, due - performance.now()));
        if (stop()) return;
        await post(t, next());
        events += BATCH;
      }
    }),
  );
  return { events, ms: performance.now() - t0 };
}

/** What one block of alternating phases measured. */
interface Block {
  /** Events/s of each baseline phase, in order (one more than hand-off phases). */
  baselines: number[];
  /** Events/s of each hand-off phase. */
  durings: number[];
  handoffs: HandoffRun[];
  /** Range writes that overlapped a hand-off (its run's start to its end), and those inside baseline phases (ms). */
  paused: number[];
  base: number[];
  /** Range writes that overlapped a hand-off's op-lock window (ms). */
  inLock: number[];
}

/** The change of the edge's counters over a block, for its log line. */
function edgeLine(before: Map<string, number>, after: Map<string, number>): string {
  const reloads = ["pubsub", "fence", "periodic"].map((r) => `${r} ${counterDelta(before, after, "shardcast_edge_route_reloads_total", `reason="${r}"`)}`);
  return (
    `edge: ${counterDelta(before, after, "shardcast_edge_overflow_events_total")} events through the overflow log, ` +
    `${counterDelta(before, after, "shardcast_edge_fence_rejections_total")} fence rejections, route reloads ${reloads.join(", ")}, ` +
    holdLine(before, after)
  );
}

/** A hand-off's lifecycle steps (it skips `moving`: its successor is prepared in `fenced`). */
const STEPS = ["locked", "fenced", "switching", "draining"] as const;

/** The op-lock window of a hand-off: from the locks to the end of the switch (the drain runs after the release). */
function lockMs(h: HandoffRun): number | undefined {
  return h.steps.locked === undefined || h.steps.switching === undefined ? undefined : h.steps.switching - h.steps.locked;
}

/**
 * Where the slow range writes that overlapped a hand-off fall (those slower than `over` ms): by
 * the step of the hand-off their start falls in ("before" it started, "start" from the run's start
 * to the op-locks, then each step to its end, "after" from the drain's end to the run's end).
 * A diagnostic line of the log.
 */
function slowWritesByStep(samples: ReadonlyArray<{ at: number; end: number; ms: number }>, runs: readonly HandoffRun[], over: number): string {
  const counts = new Map<string, number>();
  for (const w of samples) {
    if (w.ms <= over) continue;
    const h = runs.find((r) => w.at <= r.end && w.end >= r.start);
    if (!h) continue;
    let label = w.at < h.start ? "before" : "after";
    let from = h.start;
    for (const step of ["start", ...STEPS.slice(1)]) {
      const offset = h.steps[step === "start" ? "locked" : step];
      if (offset === undefined) continue;
      // Steps are recorded as ms from the run's start.
      const to = h.start + offset;
      if (w.at >= from && w.at < to) {
        label = step;
        break;
      }
      from = to;
    }
    counts.set(label, (counts.get(label) ?? 0) + 1);
  }
  return counts.size === 0 ? "none" : [...counts].map(([k, n]) => `${k} ${n}`).join(", ");
}

/**
 * Median time of each lifecycle step of the hand-offs (ms), from the run's start to the op-locks,
 * then step by step, and the whole run. Steps are known for the hand-offs whose lifecycle job ran
 * in this process: the worker process's scheduler may pick an approved migration up first.
 */
function stepLine(runs: readonly HandoffRun[]): string {
  const timed = runs.filter((h) => STEPS.every((s) => h.steps[s] !== undefined));
  const whole = `whole run ${median(runs.map((h) => h.ms)).toFixed(0)}`;
  if (timed.length === 0) return `no step times (${whole})`;
  const parts = STEPS.map((s, i) => `${s} ${median(timed.map((h) => h.steps[s]! - (i === 0 ? 0 : h.steps[STEPS[i - 1]!]!))).toFixed(0)}`);
  return `median ms of each step: ${parts.join(", ")} (op-lock held ${median(timed.map((h) => lockMs(h)!)).toFixed(0)}), ${whole}, mover CPU ${median(runs.map((h) => h.cpuMs)).toFixed(0)} ms`;
}

/**
 * Hand-off moves (`mode: "handoff"`) of the busiest of 16 shardlets, back and forth between the two
 * hosts, in a stream of their own, run by the worker's mover (`runMigration`) in a process of
 * its own (as the worker runs) against the real edge. After a warm-up (hand-offs under ingest:
 * every code path has run, and the range has history on the other host, as it keeps having in
 * every phase after), two blocks of
 * alternating phases (baseline, hand-offs, baseline, ..., baseline), each phase 5 s long (a hand-off
 * phase starts a hand-off 0.5 s and 3 s in, in the latency block every second from 0.5 s, and lasts
 * until the last one ended):
 *
 * - throughput: the four producers of the copy pairs (batches of 500 Zipf-keyed events) as fast as
 *   the edge acknowledges; `handoff_during_vs_baseline_ratio` is the median over hand-off phases of
 *   their events/s against the mean of the baselines around it.
 * - latency: the same producers paced at half the throughput block's baseline rate, so that a
 *   write's latency is its own and not the queue of a saturated edge and database. Two range
 *   writers (in a process of their own, support/range-writers.ts) send batches of 20 events, all
 *   keyed into the handed-off range, one at a time:
 *   `handoff_pause_ms_p50/p99` are the latencies (as measured, nothing subtracted) of their
 *   batches that overlapped a hand-off (from its run's start to its end),
 *   `handoff_baseline_write_ms_p99` the p99 of their batches inside the baseline phases. The range
 *   writers also run through the throughput block: `handoff_saturated_*` are the same figures there.
 *
 * `handoff_ms_p50/p99` is one hand-off (both blocks) from the start of its migration run to its end.
 * `handoff_bytes_copied` adds what would show a copy: the hand-off migrations' rows_copied and the
 * edge's shadow writes meanwhile (at the range's mean stored event size) and the bytes of the
 * range's rows stored on both hosts with the same seq (a hand-off leaves each row where it was
 * written: the sealed source keeps its history, the successor gets only new writes).
 */
async function measureHandoffs(
  c: BenchCluster,
  token: string,
  gen: WorkloadGenerator,
  nextBody: () => string,
  opts: { quick: boolean; log: (line: string) => void },
): Promise<Record<string, number>> {
  const { quick, log } = opts;
  // Short phases, many of them: on a shared machine the load drifts within seconds, and the median
  // over many adjacent pairs is steadier than a few long ones.
  const throughputRepeats = quick ? 4 : 6;
  const latencyRepeats = quick ? 2 : 3;
  const phaseMs = 5_000;
  const stream = await createStream(c.db, c.hosts, { name: "handoffs", shardCount: 4, shardletsPerShard: 4 });
  const t: Target = { c, stream: stream.name, token };
  const { table, busy, share } = await busiest(c, stream.id, gen);
  const range = { lo: busy.lo, hi: busy.hi };
  const writerKeys = keysIn(table, busy.id, "range", 64);
  const mover: MoverProcess = await startMoverProcess(c);
  let writers: RangeWriters | null = null;
  try {
    let batchesLeft = quick ? 40 : 80;
    await produceUntil(t, nextBody, () => batchesLeft-- <= 0);

    const migrationIds: string[] = [];
    const handOff = async (): Promise<HandoffRun> => {
      const route = (await loadRoutes(c.db, stream.id)).find((r) => r.lo === range.lo && r.hi === range.hi);
      if (!route) throw new Error(`no shardlet routes [${range.lo}, ${range.hi}) of stream ${stream.name}`);
      const proposal = await createMigrationProposal(c.db, {
        streamId: stream.id,
        shardletId: route.id,
        sourceHostId: route.hostId,
        destHostId: c.hostIds.find((h) => h !== route.hostId)!,
        origin: "manual",
        reason: "benchmark hand-off",
        expectedBenefit: 0,
        expectedLoad: null,
        feasibility: null,
        bytesToMove: 0,
        shardletEpoch: route.epoch,
        phase: "approved",
        mode: "handoff",
      });
      if (!proposal.created) throw new Error(`shardlet ${route.id} already has an open migration ${proposal.id} (not the bench's)`);
      migrationIds.push(proposal.id);
      const start = Date.now();
      const t0 = performance.now();
      const run = await mover.run(proposal.id);
      const ms = performance.now() - t0;
      const results = run.results;
      const steps = Object.fromEntries(Object.entries(run.steps).map(([step, at]) => [step, at - start]));
      if (results.at(-1)?.status !== "done") throw new Error(await report(c, await mustLoad(c, proposal.id)));
      const successor = (await loadRoutes(c.db, stream.id)).find((r) => r.lo === range.lo && r.hi === range.hi);
      return {
        id: proposal.id,
        start,
        end: start + ms,
        ms,
        steps,
        runs: results.length,
        results: results.map((x) => `${x.status}${x.reason ? ` (${x.reason})` : ""}`),
        from: route.id,
        to: successor?.id ?? "?",
        cpuMs: run.cpuMs,
      };
    };

    /** Ingest for `ms` (at `rate` events/s, or as fast as acknowledged); with `handoffs`, also until the last hand-off started in it has ended. */
    const phase = async (handoffs: HandoffRun[] | null, rate: number | null, ms = phaseMs) => {
      const every = rate === null ? HANDOFF_EVERY_MS : LATENCY_HANDOFF_EVERY_MS;
      let stop = false;
      const from = Date.now();
      const producing = rate === null ? produceUntil(t, nextBody, () => stop) : produceAt(t, nextBody, rate, () => stop);
      producing.catch(() => undefined);
      try {
        const driving = (async () => {
          if (!handoffs) return;
          const t0 = performance.now();
          for (let at = HANDOFF_FIRST_MS; at < ms; at += every) {
            await sleep(Math.max(0, t0 + at - performance.now()));
            handoffs.push(await handOff());
          }
        })();
        await Promise.all([sleep(ms), driving]);
      } finally {
        stop = true;
      }
      const r = await producing;
      return { rate: (r.events * 1000) / r.ms, from, to: Date.now() };
    };

    /** Baseline, then `repeats` times hand-offs and baseline, with the range writers' samples of the block. */
    const block = async (name: string, repeats: number, rate: number | null): Promise<Block> => {
      const counters = await edgeCounters(c.edgeUrl);
      const first = await writers!.count();
      const windows: Array<{ from: number; to: number }> = [];
      const out: Block = { baselines: [], durings: [], handoffs: [], paused: [], base: [], inLock: [] };
      let last = await phase(null, rate);
      windows.push(last);
      out.baselines.push(last.rate);
      for (let r = 0; r < repeats; r++) {
        const these: HandoffRun[] = [];
        const during = await phase(these, rate);
        const after = await phase(null, rate);
        windows.push(after);
        out.baselines.push(after.rate);
        out.durings.push(during.rate);
        out.handoffs.push(...these);
        const b = (last.rate + after.rate) / 2;
        log(
          `hand-offs, ${name} ${r + 1}/${repeats}: baseline ${Math.round(last.rate)} / ${Math.round(after.rate)} ev/s, during ${Math.round(during.rate)} ev/s ` +
            `(ratio ${(during.rate / b).toFixed(3)}); ${these.length} hand-offs of ${these.map((h) => Math.round(h.ms)).join(", ")} ms, ` +
            `op-lock held ${these.map((h) => (lockMs(h) === undefined ? "?" : Math.round(lockMs(h)!))).join(", ")} ms`,
        );
        last = after;
      }
      const samples = await writers!.samples(first);
      const runs = out.handoffs;
      const locks = runs.map((h) => ({ from: h.start + (h.steps.locked ?? 0), to: h.start + (h.steps.switching ?? h.ms) }));
      out.paused = samples.filter((w) => runs.some((h) => w.at <= h.end && w.end >= h.start)).map((w) => w.ms);
      out.inLock = samples.filter((w) => locks.some((l) => w.at <= l.to && w.end >= l.from)).map((w) => w.ms);
      out.base = samples.filter((w) => windows.some((p) => w.at >= p.from && w.end <= p.to)).map((w) => w.ms);
      const q = (xs: number[]) => `p50 ${percentile(xs, 50).toFixed(1)}, p99 ${percentile(xs, 99).toFixed(1)}, max ${Math.max(0, ...xs).toFixed(1)} ms`;
      log(
        `hand-offs, ${name}: ${runs.length} hand-offs, ${stepLine(runs)}; ${runs.filter((h) => h.runs > 1).length} needed more than one run; ` +
          `range writes overlapping a hand-off: ${out.paused.length} (${q(out.paused)}), overlapping its op-lock: ${out.inLock.length} (${q(out.inLock)}), ` +
          `in baselines: ${out.base.length} (${q(out.base)}); overlapping a hand-off and slower than the baselines' p99, by step: ${slowWritesByStep(samples, runs, percentile(out.base, 99))}; ` +
          `${edgeLine(counters, await edgeCounters(c.edgeUrl))}`,
      );
      return out;
    };

    const before = await edgeCounters(c.edgeUrl);
    log(`hand-offs: shardlet [${range.lo}, ${range.hi}) takes ${(share * 100).toFixed(1)}% of the events; warm-up`);
    // Two hand-offs: the range is back where it started, with history on the other host.
    const warm: HandoffRun[] = [];
    await phase(warm, null, HANDOFF_FIRST_MS + HANDOFF_EVERY_MS + 1);
    writers = await startRangeWriters({ edgeUrl: c.edgeUrl, stream: stream.name, token, keys: writerKeys, tag: `range-${stream.id}`, writers: RANGE_WRITERS, batch: RANGE_BATCH });
    const full = await block("throughput", throughputRepeats, null);
    const pacedRate = Math.round(median(full.baselines) / 2);
    log(`hand-offs: the latency block paces the producers at ${pacedRate} events/s (half the throughput block's baseline)`);
    const paced = await block("latency", latencyRepeats, pacedRate);
    await writers.stop();
    writers = null;
    const after = await edgeCounters(c.edgeUrl);

    // What a copy would have left: counted over every hand-off of the stream, the warm-up's included.
    let rowsCopied = 0;
    for (const id of migrationIds) rowsCopied += (await mustLoad(c, id)).rowsCopied;
    const shadowed = counterDelta(before, after, "shardcast_edge_shadow_write_events_total");
    const [onA, onB] = await Promise.all(c.hostIds.map((h) => rowsOnHost(c, h, stream.id, range)));
    let storedBytes = 0;
    for (const r of [...onA!.values(), ...onB!.values()]) storedBytes += r.size;
    const both = [...onA!].filter(([seq]) => onB!.has(seq));
    const bothBytes = both.reduce((sum, [, r]) => sum + r.size, 0);
    const stored = onA!.size + onB!.size;
    const meanSize = stored > 0 ? storedBytes / stored : 0;
    const bytesCopied = Math.round(bothBytes + (rowsCopied + shadowed) * meanSize);
    log(
      `hand-offs: ${migrationIds.length} in all: rows_copied ${rowsCopied}, shadow writes ${shadowed}, ` +
        `range rows on both hosts ${both.length} (${onA!.size} + ${onB!.size} rows of the range stored)`,
    );
    if (both.length > 0) {
      // Which shardlets accepted them on each host, and when: enough to tell a copy from a write stored twice.
      const groups = new Map<string, { rows: number; seqs: [number, number]; storedA: [number, number]; storedB: [number, number] }>();
      for (const [seq, a] of both) {
        const b = onB!.get(seq)!;
        const key = `${a.shardletId} (host 1) / ${b.shardletId} (host 2)`;
        const g = groups.get(key) ?? { rows: 0, seqs: [seq, seq], storedA: [a.storedAt, a.storedAt], storedB: [b.storedAt, b.storedAt] };
        g.rows++;
        g.seqs = [Math.min(g.seqs[0], seq), Math.max(g.seqs[1], seq)];
        g.storedA = [Math.min(g.storedA[0], a.storedAt), Math.max(g.storedA[1], a.storedAt)];
        g.storedB = [Math.min(g.storedB[0], b.storedAt), Math.max(g.storedB[1], b.storedAt)];
        groups.set(key, g);
      }
      const iso = (ms: number) => new Date(ms).toISOString().slice(11, 23);
      for (const [key, g] of groups) {
        log(
          `  ${g.rows} rows accepted by ${key}: seqs ${g.seqs[0]}-${g.seqs[1]}, stored ${iso(g.storedA[0])}-${iso(g.storedA[1])} / ${iso(g.storedB[0])}-${iso(g.storedB[1])}`,
        );
      }
      for (const h of [...warm, ...full.handoffs, ...paced.handoffs]) {
        log(`  hand-off ${h.from} -> ${h.to}: ${iso(h.start)}-${iso(h.end)}, steps ${JSON.stringify(h.steps)}, runs: ${h.results.join("; ")}`);
      }
    }

    const ratios = full.durings.map((d, i) => d / ((full.baselines[i]! + full.baselines[i + 1]!) / 2));
    const all = [...full.handoffs, ...paced.handoffs].map((h) => h.ms);
    return {
      handoff_baseline_events_per_s: Math.round(median(full.baselines)),
      handoff_during_events_per_s: Math.round(median(full.durings)),
      handoff_during_vs_baseline_ratio: Number(median(ratios).toFixed(3)),
      handoff_paced_events_per_s: pacedRate,
      handoff_pause_ms_p50: Number(percentile(paced.paused, 50).toFixed(1)),
      handoff_pause_ms_p99: Number(percentile(paced.paused, 99).toFixed(1)),
      handoff_baseline_write_ms_p99: Number(percentile(paced.base, 99).toFixed(1)),
      handoff_saturated_pause_ms_p99: Number(percentile(full.paused, 99).toFixed(1)),
      handoff_saturated_baseline_write_ms_p99: Number(percentile(full.base, 99).toFixed(1)),
      handoff_ms_p50: Math.round(percentile(all, 50)),
      handoff_ms_p99: Math.round(percentile(all, 99)),
      handoff_bytes_copied: bytesCopied,
      handoffs: all.length,
    };
  } finally {
    await writers?.stop().catch(() => undefined);
    await mover.close();
  }
}

/**
 * Ingest throughput while the busiest of 16 shardlets migrates between the two hosts vs. no
 * migration, in the same run, with four producers sending batches of 500 Zipf-keyed events. Each
 * pair has a stream of its own (so every pair moves a shardlet of the same size, not one that grew
 * through the pairs before): preload, baseline, migration, baseline, and the migration is
 * compared with the mean of the baselines around it. A migration phase lasts from the migration's
 * start to its end (copy with shadow writes, verification, switch, cleanup), through the real job
 * queue and worker process, the copy within a budget of a tenth of the ingest rate of the first
 * baseline (the cleanup's deletions within four times that).
 *
 * A one-event writer to the migrating shardlet runs through every pair. `switch_pause_ms_p99` is
 * the stall the switch adds: the p99 over writes that overlapped a switch window (the op-lock the
 * mover records) of their latency minus the median latency of the writer's other writes;
 * `switch_write_p99_ms` and `write_p99_ms` are the raw latencies inside and outside the windows.
 * `copy_rows_per_s` is rows copied / copy phase time.
 *
 * Then, in the same run, hand-off moves (`mode: "handoff"`, no row copied) of a busy shardlet back
 * and forth between the hosts every 2.5 s: the `handoff_*` figures (see measureHandoffs).
 */
export const migrationSuite: Suite = {
  name: "migration",
  description: "ingest while a busy shardlet migrates between hosts vs no migration; write stall at the switch; the same for hand-offs",
  async run({ quick, log }) {
    const pairs = benchEnv.SHARDCAST_BENCH_MIGRATION_PAIRS ?? (quick ? 2 : 4);
    const preload = quick ? 100 : 200;
    /** Each migration is bracketed by a baseline phase this long before and after it (drift cancels out). */
    const baselineMs = quick ? 6_000 : 10_000;
    const c = await startBenchCluster({ hostCount: 2, shardCount: 4, shardletsPerShard: 4 });
    const connection = createRedis(c.redisUrl, { forBullmq: true });
    const queue = createQueue(connection, { prefix: c.prefix });
    let probing: ReturnType<typeof probe> | null = null;
    try {
      // Splits would change the shardlet under the migration: the bench measures moves only.
      await updateLifecycleSettings(c.db, { enabled: false }, null);
      await c.startWorker({ ...QUIET_WORKER_ENV, SHARDCAST_MIGRATION_SCHEDULER_EVERY_MS: "500", SHARDCAST_MANAGER_EVERY_MS: "60000" });
      const { token } = await createApiKey(c.db, { name: "migration-bench", streams: ["*"], canProduce: true, canConsume: true, createdById: null });
      const gen = new WorkloadGenerator({ seed: "migration-bench", keys: 50_000, zipfS: 0.9, bursts: false });
      const nextBody = () => JSON.stringify({ events: gen.nextBatch(BATCH) });

      const baseline: number[] = [];
      const during: number[] = [];
      const ratios: number[] = [];
      const pauses: number[] = [];
      const inWindowMs: number[] = [];
      const outsideMs: number[] = [];
      const switchMs: number[] = [];
      let copied = 0;
      let copyMs = 0;
      let budget = 0;
      let busyShare = 0;

      for (let pair = 0; pair < pairs; pair++) {
        const stream = await createStream(c.db, c.hosts, { name: `moves-${pair + 1}`, shardCount: 4, shardletsPerShard: 4 });
        const t: Target = { c, stream: stream.name, token };
        const { table, busy, share: busyOfAll } = await busiest(c, stream.id, gen);
        const busyId = busy.id;
        busyShare = busyOfAll;
        const probeKeys = keysIn(table, busyId, "probe", 8);

        let batchesLeft = preload;
        await produceUntil(t, nextBody, () => batchesLeft-- <= 0);
        const runBaseline = async () => {
          const until = performance.now() + baselineMs;
          const r = await produceUntil(t, nextBody, () => performance.now() >= until);
          return (r.events * 1000) / r.ms;
        };

        probing = probe(t, probeKeys);
        const before = await runBaseline();
        if (pair === 0) {
          budget = Math.max(500, Math.round(before * COPY_BUDGET_SHARE));
          // Deleting a row costs a fraction of copying it: the cleanup gets four times the budget.
          await updateMigrationSettings(c.db, { rowsPerSecond: budget, cleanupRowsPerSecond: budget * 4, cleanupGraceMs: 1_000 }, null);
          log(`busy shardlet: ${(busyShare * 100).toFixed(1)}% of the events; ingest ran at ${Math.round(before)} events/s: copy budget ${budget} rows/s`);
        }
        const m = await insertApprovedMigration(c.db, {
          streamId: stream.id,
          shardletId: busyId,
          sourceHostId: busy.hostId,
          destHostId: c.hostIds.find((h) => h !== busy.hostId)!,
          reason: "benchmark",
          shardletEpoch: busy.epoch,
        });
        let done = false;
        const watching = finished(c, m.id, Date.now() + (quick ? 180_000 : 600_000)).finally(() => {
          done = true;
        });
        await enqueue(queue, "migration.run", { migrationId: m.id });
        const mig = await produceUntil(t, nextBody, () => done);
        await watching;
        const after = await runBaseline();
        await probing.stop();
        const samples = probing.samples;
        probing = null;

        const events = await listMigrationEvents(c.db, m.id);
        const phaseAt = (p: string) => events.find((e) => e.phase === p)?.at.getTime();
        const sw = events.find((e) => e.message.startsWith("Switch took"))?.details as
          | { lockedAt: number; unlockedAt: number; switchMs: number; tailMs: number; tailRows: number }
          | undefined;
        if (!sw) throw new Error("the migration recorded no switch");
        const overlaps = (x: { at: number; ms: number }) => x.at <= sw.unlockedAt && x.at + x.ms >= sw.lockedAt;
        const inside = samples.filter(overlaps).map((x) => x.ms);
        const outside = samples.filter((x) => !overlaps(x)).map((x) => x.ms);
        const usual = outside.length > 0 ? median(outside) : 0;
        pauses.push(...inside.map((ms) => Math.max(0, ms - usual)));
        inWindowMs.push(...inside);
        outsideMs.push(...outside);
        switchMs.push(sw.switchMs);
        const copyStart = phaseAt("copying");
        const copyEnd = phaseAt("verifying");
        const row = await mustLoad(c, m.id);
        if (copyStart !== undefined && copyEnd !== undefined) {
          copied += Number(row.rowsCopied);
          copyMs += copyEnd - copyStart;
        }

        const b = (before + after) / 2;
        const d = (mig.events * 1000) / mig.ms;
        baseline.push(b);
        during.push(d);
        ratios.push(d / b);
        log(
          `pair ${pair + 1}/${pairs}: baseline ${Math.round(before)} / ${Math.round(after)} ev/s, during migration ${Math.round(d)} ev/s (ratio ${(d / b).toFixed(3)}); ` +
            `${Number(row.rowsCopied)} rows copied; migration took ${(mig.ms / 1000).toFixed(1)} s (copy ${secs(copyStart, copyEnd)} s, ` +
            `verify ${secs(copyEnd, phaseAt("switching"))} s, switch lock ${sw.switchMs} ms of which tail ${sw.tailMs} ms for ${sw.tailRows} rows, cleanup ${secs(phaseAt("cleanup"), phaseAt("done"))} s); ` +
            `shardlet writes during the switch: ${inside.map((ms) => Math.round(ms)).join(", ") || "none"} ms, usually ${Math.round(usual)} ms`,
        );
      }
      const handoffs = await measureHandoffs(c, token, gen, nextBody, { quick, log });
      // No copying migration ran (SHARDCAST_BENCH_MIGRATION_PAIRS=0): their keys read 0.
      const med = (xs: readonly number[]) => (xs.length > 0 ? median(xs) : 0);
      const p99 = (xs: readonly number[]) => (xs.length > 0 ? percentile(xs, 99) : 0);
      return {
        baseline_events_per_s: Math.round(med(baseline)),
        during_events_per_s: Math.round(med(during)),
        during_vs_baseline_ratio: Number(med(ratios).toFixed(3)),
        switch_pause_ms_p99: Number(p99(pauses).toFixed(1)),
        copy_rows_per_s: Math.round(copyMs > 0 ? (copied * 1000) / copyMs : 0),
        copy_budget_rows_per_s: budget,
        switch_lock_ms_median: Math.round(med(switchMs)),
        switch_write_p99_ms: Number(p99(inWindowMs).toFixed(1)),
        write_p99_ms: Number(p99(outsideMs).toFixed(1)),
        busy_shardlet_share: Number(busyShare.toFixed(3)),
        migrations: pairs,
        ...handoffs,
      };
    } finally {
      await probing?.stop().catch(() => undefined);
      await queue.close();
      connection.disconnect();
      await c.close();
    }
  },
};
