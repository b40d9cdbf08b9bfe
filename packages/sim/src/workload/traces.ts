import { parseTraceCsv, resampleTrace, ShardcastError } from "@shardcast/core";
import { WorkloadBuilder } from "./builder.ts";
import { HOUR_MS } from "./generators.ts";
import { zipfShares } from "./popularity.ts";
import type { SimWorkload } from "./types.ts";

/** One series of a trace set, as events/s per bucket. */
export interface TraceSeries {
  name: string;
  values: number[];
}

export interface TraceSet {
  name: string;
  description: string;
  /** Folder under the repository's data/traces and the licence that covers it. */
  source: string;
  bucketMs: number;
  series: TraceSeries[];
}

/** Reads a file of a trace set's folder (relative name) as text. Injected: this package does no I/O. */
export type TraceReader = (file: string) => string;

export const DOS_FOLDER = "dos_load_prediction";
export const NAB_FOLDER = "nab_realTweets";

/**
 * The hourly series of dos-group/load-prediction-dsp that cover three weeks. `alibaba_1h.csv`
 * covers one week only, so it is left out rather than repeated.
 */
export const DOS_FILES = ["wiki_en_1h.csv", "wiki_de_1h.csv", "google_1h.csv", "taxi_1h.csv"] as const;
export const NAB_TICKERS = ["AAPL", "AMZN", "CRM", "CVS", "FB", "GOOG", "IBM", "KO", "PFE", "UPS"] as const;

/** Hourly message rates of four services, one stream each, aligned by hour index. */
export function loadDosTraces(read: TraceReader): TraceSet {
  const series = DOS_FILES.map((file) => {
    const trace = parseTraceCsv(file, read(`${DOS_FOLDER}/${file}`));
    // Values are already rates (messages/s averaged per hour).
    const { values } = resampleTrace(trace, HOUR_MS, "mean");
    return { name: file.replace(/_1h\.csv$/, ""), values };
  });
  return {
    name: "dos-traces",
    description: "hourly message rates of Wikipedia (en, de), a Google cluster and NYC taxis, one stream each",
    source: `data/traces/${DOS_FOLDER} (MIT)`,
    bucketMs: HOUR_MS,
    series,
  };
}

/**
 * Tweets per 5 minutes about ten companies, summed per hour (events/s = count / 3600), one stream
 * per ticker. The first and last hour are partial and dropped.
 */
export function loadNabTraces(read: TraceReader): TraceSet {
  const series = NAB_TICKERS.map((ticker) => {
    const file = `Twitter_volume_${ticker}.csv`;
    const trace = parseTraceCsv(file, read(`${NAB_FOLDER}/${file}`));
    const { values } = resampleTrace(trace, HOUR_MS, "sum");
    return { name: ticker, values: values.slice(1, -1).map((v) => v / 3600) };
  });
  return {
    name: "nab-tweets",
    description: "tweets per hour about ten companies (Numenta Anomaly Benchmark), one stream per ticker",
    source: `data/traces/${NAB_FOLDER} (MIT)`,
    bucketMs: HOUR_MS,
    series,
  };
}

export interface TraceWorkloadOptions {
  seed: number;
  /** Buckets to use from `startBucket` on (at most what the shortest series has left). */
  buckets: number;
  /**
   * First bucket of the traces to use (default 0): a later window of the same trace, so tuning can
   * run on days the reported runs never see.
   */
  startBucket?: number;
  keysPerStream: number;
  zipfS: number;
  peakTotal: number;
}

/**
 * Each series becomes a stream whose keys share its rate by Zipf popularity; the series keep their
 * relative sizes (NAB's AAPL carries 42% of the tweets) and the total is scaled to `peakTotal`.
 */
export function traceWorkload(set: TraceSet, opts: TraceWorkloadOptions): SimWorkload {
  const shortest = Math.min(...set.series.map((s) => s.values.length));
  if (!(shortest >= 2)) throw new ShardcastError("bad_request", `trace set ${set.name} has a series with fewer than 2 buckets`);
  const start = Math.max(0, Math.floor(opts.startBucket ?? 0));
  if (!(shortest - start >= 2)) throw new ShardcastError("bad_request", `trace set ${set.name} has fewer than 2 buckets from bucket ${start}`);
  const buckets = Math.min(opts.buckets, shortest - start);
  const builder = new WorkloadBuilder(
    {
      name: set.name,
      description: set.description,
      source: set.source,
      bucketMs: set.bucketMs,
      buckets,
      period: Math.max(1, Math.round((24 * HOUR_MS) / set.bucketMs)),
      params: { seed: opts.seed, ...(start > 0 ? { startBucket: start } : {}), streams: set.series.length, keysPerStream: opts.keysPerStream, zipfS: opts.zipfS, series: set.series.map((s) => s.name).join(" ") },
    },
    set.series.map((s) => ({ id: s.name, keys: Array.from({ length: opts.keysPerStream }, (_, i) => `${s.name}-key-${opts.seed}-${i}`) })),
  );
  set.series.forEach((series, s) => {
    const { share } = zipfShares(opts.keysPerStream, opts.zipfS, `${opts.seed}:${set.name}:${series.name}`);
    for (let b = 0; b < buckets; b++) {
      const rate = Math.max(0, series.values[start + b]!);
      for (let i = 0; i < opts.keysPerStream; i++) builder.add(b, s, i, rate * share[i]!);
    }
  });
  return builder.build({ peakTotal: opts.peakTotal });
}
