import { resolveRhythm, type RhythmOptions } from "@shardcast/core";
import type { StreamKeys } from "./builder.ts";

export const HOUR_MS = 3_600_000;
export const DAY_MS = 24 * HOUR_MS;

/** Options every generator takes. Rates are relative until `build` scales them to `peakTotal`. */
export interface GeneratorBase {
  seed: number;
  /** Buckets to generate, warm-up included. */
  buckets: number;
  /** Bucket length in ms. Default one hour. */
  bucketMs: number;
  /** Buckets at the start without flash crowds or ramps (the forecasters' history). */
  warmupBuckets: number;
  /** Events/s of the busiest bucket after scaling (the cluster is sized against it). */
  peakTotal: number;
  /** Streams (tenants) sharing the cluster. */
  streams: number;
  /** Keys per stream. */
  keysPerStream: number;
  /** Zipf exponent of key popularity within a stream (0 = uniform). */
  zipfS: number;
}

export interface DiurnalParams {
  /** Daily swing as a fraction of the mean, in [0, 1). */
  dailyAmplitude: number;
  /** Weekly swing, in [0, 1). */
  weeklyAmplitude: number;
  /** Spread of the streams' daily peaks as a fraction of a day (0 = all peak together). */
  phaseSpread: number;
}

export type GeneratorName = "flat" | "diurnal" | "zipf-drift" | "flash-crowd" | "ramp" | "tenants";

export const GENERATOR_DEFAULTS = {
  flat: { streams: 2, keysPerStream: 512, zipfS: 0 },
  diurnal: { streams: 4, keysPerStream: 1024, zipfS: 1.0, dailyAmplitude: 0.6, weeklyAmplitude: 0.2, phaseSpread: 0.5 },
  "zipf-drift": { streams: 4, keysPerStream: 1024, zipfS: 1.1, dailyAmplitude: 0.3, weeklyAmplitude: 0, phaseSpread: 0.25, driftRanksPerDay: 4 },
  "flash-crowd": {
    streams: 4,
    keysPerStream: 1024,
    zipfS: 0.9,
    dailyAmplitude: 0.4,
    weeklyAmplitude: 0.1,
    phaseSpread: 0.25,
    crowdsPerDay: 1,
    crowdHours: 4,
    crowdPeak: 0.12,
    crowdKeys: 24,
    crowdHashWidth: 1 / 2048,
    announcedShare: 0.5,
    announceLeadHours: 3,
  },
  ramp: { streams: 4, keysPerStream: 1024, zipfS: 0.9, dailyAmplitude: 0.3, weeklyAmplitude: 0, phaseSpread: 0.25, rampFactor: 3 },
  tenants: { streams: 12, keysPerStream: 256, zipfS: 0.9, dailyAmplitude: 0.6, weeklyAmplitude: 0.3, phaseSpread: 1, tenantHosts: 3, sizeSpread: 8, burstsPerWeek: 1 },
} as const;

export const GENERATOR_DESCRIPTIONS: Record<GeneratorName, string> = {
  flat: "uniform keys at a constant rate (nothing should move)",
  diurnal: "Zipf keys with daily and weekly cycles, streams peaking at different hours",
  "zipf-drift": "Zipf keys whose hot set drifts: cold keys climb to the top within hours",
  "flash-crowd": "daily cycle plus flash crowds on narrow hash windows, some announced by client hints",
  ramp: "one stream grows steadily over the run while the others keep their daily cycle",
  tenants: "tenants of different sizes, each on a few hosts, with their own daily peak, weekday or weekend rhythm and bursts",
};

export function streamKeys(opts: GeneratorBase, extra: ReadonlyArray<readonly string[]> = []): StreamKeys[] {
  return Array.from({ length: opts.streams }, (_, s) => ({
    id: `s${s}`,
    keys: [...Array.from({ length: opts.keysPerStream }, (_, i) => `s${s}-user-${opts.seed}-${i}`), ...(extra[s] ?? [])],
  }));
}

export function rhythms(opts: GeneratorBase, d: DiurnalParams): RhythmOptions[] {
  return Array.from({ length: opts.streams }, (_, s) =>
    resolveRhythm({
      baseRate: 1 / opts.streams,
      dayMs: DAY_MS,
      dailyAmplitude: d.dailyAmplitude,
      weeklyAmplitude: d.weeklyAmplitude,
      peakAt: (0.55 + (opts.streams > 1 ? (s * d.phaseSpread) / (opts.streams - 1) : 0)) % 1,
      originMs: 0,
    }),
  );
}

/** Mean of f over bucket b, sampled at 12 points (rates change within an hour). */
export function bucketMean(b: number, bucketMs: number, f: (tMs: number) => number): number {
  let sum = 0;
  for (let j = 0; j < 12; j++) sum += f((b + (j + 0.5) / 12) * bucketMs);
  return sum / 12;
}

export function periodOf(bucketMs: number): number {
  return Math.max(1, Math.round(DAY_MS / bucketMs));
}

export function meta(name: GeneratorName, opts: GeneratorBase, params: Record<string, string | number | boolean>) {
  return {
    name,
    description: GENERATOR_DESCRIPTIONS[name],
    source: "generator",
    bucketMs: opts.bucketMs,
    buckets: opts.buckets,
    period: periodOf(opts.bucketMs),
    params: { seed: opts.seed, streams: opts.streams, keysPerStream: opts.keysPerStream, zipfS: opts.zipfS, ...params },
  };
}
