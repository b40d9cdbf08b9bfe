import { performance } from "node:perf_hooks";
import { sleep, type WorkloadGenerator } from "@shardcast/core";
import { createMigrationProposal, createStream, loadRoutes } from "@shardcast/db";
import { median, percentile } from "../harness.ts";
import type { BenchCluster } from "../support/cluster.ts";
import { counterDelta, edgeCounters } from "../support/edge-counters.ts";
import { startMoverProcess, type MoverProcess } from "../support/mover.ts";
import { startRangeWriters, type RangeWriters } from "../support/range-writers.ts";
import { busiest, keysIn, mustLoad, produceUntil, report, type Target } from "./migration-support.ts";
import { edgeLine, lockMs, produceAt, rowsOnHost, slowWritesByStep, stepLine, type Block, type HandoffRun } from "./migration-handoff-runs.ts";

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
export async function measureHandoffs(
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
