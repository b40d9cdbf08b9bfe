import { sleep } from "@shardcast/core";
import { median } from "../harness.ts";
import type { BenchCluster } from "../support/cluster.ts";
import { counterDelta, holdLine } from "../support/edge-counters.ts";
import { BATCH, PRODUCERS, post, type Target } from "./migration-support.ts";

/** One hand-off as the bench saw it: its run's start and end (epoch ms), and when each lifecycle step ended (ms after the start). */
export interface HandoffRun {
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
export interface StoredRow {
  size: number;
  shardletId: string;
  storedAt: number;
}

/** Stored rows of the stream in [lo, hi) on a host, by seq. */
export async function rowsOnHost(c: BenchCluster, hostId: string, streamId: string, range: { lo: number; hi: number }): Promise<Map<number, StoredRow>> {
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
export async function produceAt(t: Target, next: () => string, rate: number, stop: () => boolean): Promise<{ events: number; ms: number }> {
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
export interface Block {
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
export function edgeLine(before: Map<string, number>, after: Map<string, number>): string {
  const reloads = ["pubsub", "fence", "periodic"].map((r) => `${r} ${counterDelta(before, after, "shardcast_edge_route_reloads_total", `reason="${r}"`)}`);
  return (
    `edge: ${counterDelta(before, after, "shardcast_edge_overflow_events_total")} events through the overflow log, ` +
    `${counterDelta(before, after, "shardcast_edge_fence_rejections_total")} fence rejections, route reloads ${reloads.join(", ")}, ` +
    holdLine(before, after)
  );
}

/** A hand-off's lifecycle steps (it skips `moving`: its successor is prepared in `fenced`). */
export const STEPS = ["locked", "fenced", "switching", "draining"] as const;

/** The op-lock window of a hand-off: from the locks to the end of the switch (the drain runs after the release). */
export function lockMs(h: HandoffRun): number | undefined {
  return h.steps.locked === undefined || h.steps.switching === undefined ? undefined : h.steps.switching - h.steps.locked;
}

/**
 * Where the slow range writes that overlapped a hand-off fall (those slower than `over` ms): by
 * the step of the hand-off their start falls in ("before" it started, "start" from the run's start
 * to the op-locks, then each step to its end, "after" from the drain's end to the run's end).
 * A diagnostic line of the log.
 */
export function slowWritesByStep(samples: ReadonlyArray<{ at: number; end: number; ms: number }>, runs: readonly HandoffRun[], over: number): string {
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
export function stepLine(runs: readonly HandoffRun[]): string {
  const timed = runs.filter((h) => STEPS.every((s) => h.steps[s] !== undefined));
  const whole = `whole run ${median(runs.map((h) => h.ms)).toFixed(0)}`;
  if (timed.length === 0) return `no step times (${whole})`;
  const parts = STEPS.map((s, i) => `${s} ${median(timed.map((h) => h.steps[s]! - (i === 0 ? 0 : h.steps[STEPS[i - 1]!]!))).toFixed(0)}`);
  return `median ms of each step: ${parts.join(", ")} (op-lock held ${median(timed.map((h) => lockMs(h)!)).toFixed(0)}), ${whole}, mover CPU ${median(runs.map((h) => h.cpuMs)).toFixed(0)} ms`;
}
