/**
 * Benchmark harness: repeated timing with warm-up, medians, and the suite contract.
 *
 * The machines that run these are shared and noisy, so a suite reports medians over several runs
 * and compares against a baseline measured in the same process, interleaved run by run, rather
 * than trusting one absolute time.
 */
import { performance } from "node:perf_hooks";
import { median as medianOf } from "@shardcast/core";

export interface SuiteOptions {
  /** Fewer and shorter runs (CI smoke); the figures are noisier. */
  quick: boolean;
  /** Progress line for the operator (goes to stderr). */
  log: (line: string) => void;
}

export interface Suite {
  name: string;
  description: string;
  /** Returns a flat object of finite numbers (written as the JSON result). */
  run(opts: SuiteOptions): Promise<Record<string, number>>;
}

export interface Measurement {
  /** Median duration of one run, in ms. */
  median: number;
  /** Duration of every measured run (warm-up excluded), in ms, in run order. */
  samples: number[];
}

export interface RepeatOptions {
  runs: number;
  /** Unmeasured runs first, so the JIT has compiled the hot loop. */
  warmup: number;
}

/** The nearest-rank percentile `p` (0-100) of `values`; 0 for none. Leaves `values` as it is. */
export function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
}

/** Core's median, but a figure of no runs is a bug in the suite, not a 0 to print. */
export function median(values: readonly number[]): number {
  if (values.length === 0) throw new RangeError("median of no values");
  return medianOf(values);
}

function checkRepeat({ runs, warmup }: RepeatOptions): void {
  if (!Number.isInteger(runs) || runs < 1) throw new RangeError(`runs must be a positive integer, got ${runs}`);
  if (!Number.isInteger(warmup) || warmup < 0) throw new RangeError(`warmup must be a non-negative integer, got ${warmup}`);
}

/** Times `fn` `runs` times after `warmup` unmeasured calls. `fn` may be sync or async. */
export async function measureRepeated(fn: () => unknown, opts: RepeatOptions): Promise<Measurement> {
  checkRepeat(opts);
  for (let i = 0; i < opts.warmup; i++) await fn();
  const samples: number[] = [];
  for (let i = 0; i < opts.runs; i++) {
    const start = performance.now();
    await fn();
    samples.push(performance.now() - start);
  }
  return { median: median(samples), samples };
}

/**
 * Times several functions round-robin (run 1 of each, then run 2 of each, ...), so a noisy
 * neighbour slows all of them alike and per-run ratios between them stay meaningful.
 */
export async function measureInterleaved<K extends string>(
  fns: Record<K, () => unknown>,
  opts: RepeatOptions & { onRun?: (run: number, ms: Record<K, number>) => void },
): Promise<Record<K, Measurement>> {
  checkRepeat(opts);
  const names = Object.keys(fns) as K[];
  for (let i = 0; i < opts.warmup; i++) for (const name of names) await fns[name]();
  const samples = Object.fromEntries(names.map((n) => [n, [] as number[]])) as Record<K, number[]>;
  for (let run = 0; run < opts.runs; run++) {
    const ms = {} as Record<K, number>;
    for (const name of names) {
      const start = performance.now();
      await fns[name]();
      ms[name] = performance.now() - start;
      samples[name].push(ms[name]);
    }
    opts.onRun?.(run, ms);
  }
  return Object.fromEntries(names.map((n) => [n, { median: median(samples[n]), samples: samples[n] }])) as Record<
    K,
    Measurement
  >;
}

/** Operations per second from a run of `ops` operations that took `ms`. */
export function perSecond(ops: number, ms: number): number {
  return ms > 0 ? (ops * 1000) / ms : Infinity;
}

/** Median over runs of a / b, where a and b were measured in the same runs (see `measureInterleaved`). */
export function medianRatio(a: readonly number[], b: readonly number[]): number {
  if (a.length !== b.length) throw new RangeError("ratio of sample lists of different lengths");
  return median(a.map((x, i) => x / b[i]!));
}

let sinkValue = 0;
/** Feeds a result somewhere the optimizer cannot prove unused, so measured loops are not removed. */
export function consume(value: number): void {
  sinkValue = (sinkValue + value) | 0;
}
export function sink(): number {
  return sinkValue;
}

function formatNumber(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  if (Number.isInteger(value) || Math.abs(value) >= 1000) return Math.round(value).toLocaleString("en-US");
  return value.toLocaleString("en-US", { maximumFractionDigits: 3, minimumFractionDigits: 0 });
}

/** A two-column text table of metrics. */
export function formatTable(metrics: Record<string, number>): string {
  const rows = Object.entries(metrics).map(([k, v]) => [k, formatNumber(v)] as const);
  const w1 = Math.max("metric".length, ...rows.map(([k]) => k.length));
  const w2 = Math.max("value".length, ...rows.map(([, v]) => v.length));
  const line = (a: string, b: string) => `${a.padEnd(w1)}  ${b.padStart(w2)}`;
  return [line("metric", "value"), `${"-".repeat(w1)}  ${"-".repeat(w2)}`, ...rows.map(([k, v]) => line(k, v))].join("\n");
}

/** Throws unless every value is a finite number (the JSON result is a flat object of numbers). */
export function checkMetrics(suite: string, metrics: Record<string, number>): void {
  for (const [k, v] of Object.entries(metrics)) {
    if (typeof v !== "number" || !Number.isFinite(v)) throw new Error(`suite ${suite}: metric ${k} is not a finite number (${String(v)})`);
  }
}
