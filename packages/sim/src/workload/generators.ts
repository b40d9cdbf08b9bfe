import { burstKeys, burstRate, createRng, HASH_SPACE, resolveRhythm, rhythmRate, type Burst, type RhythmOptions } from "@shardcast/core";
import { WorkloadBuilder, type StreamKeys } from "./builder.ts";
import { driftedShare, zipfShares } from "./popularity.ts";
import type { SimWorkload } from "./types.ts";

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

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

export interface DriftParams {
  /** Ranks the popularity ranking moves per day (a new key reaches the top in 1/driftRanksPerDay days). */
  driftRanksPerDay: number;
}

export interface FlashCrowdParams {
  /** Expected flash crowds per day after the warm-up. */
  crowdsPerDay: number;
  /** Mean crowd length in hours (each draws 0.5x to 1.5x). */
  crowdHours: number;
  /** Crowd peak as a fraction of the mean total load (each draws 0.75x to 1.25x). */
  crowdPeak: number;
  /** Keys one crowd hits, all inside one narrow hash window. */
  crowdKeys: number;
  /** Width of that window as a fraction of the hash space. */
  crowdHashWidth: number;
  /** Share of crowds announced ahead by a client hint, in [0, 1]. */
  announcedShare: number;
  /** How long before a crowd starts its hint is posted, in hours. */
  announceLeadHours: number;
}

export interface RampParams {
  /** Load of the growing stream at the end relative to the start (after the warm-up). */
  rampFactor: number;
}

export interface TenantParams {
  /** Hosts each tenant's stream is laid out on (a subset of the cluster). */
  tenantHosts: number;
  /** Spread of tenant sizes: the largest is about this many times the smallest. */
  sizeSpread: number;
  /** Bursts per tenant per week after the warm-up (2-6 h, 1.5x-3x the tenant's rate). */
  burstsPerWeek: number;
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

function streamKeys(opts: GeneratorBase, extra: ReadonlyArray<readonly string[]> = []): StreamKeys[] {
  return Array.from({ length: opts.streams }, (_, s) => ({
    id: `s${s}`,
    keys: [...Array.from({ length: opts.keysPerStream }, (_, i) => `s${s}-user-${opts.seed}-${i}`), ...(extra[s] ?? [])],
  }));
}

function rhythms(opts: GeneratorBase, d: DiurnalParams): RhythmOptions[] {
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
function bucketMean(b: number, bucketMs: number, f: (tMs: number) => number): number {
  let sum = 0;
  for (let j = 0; j < 12; j++) sum += f((b + (j + 0.5) / 12) * bucketMs);
  return sum / 12;
}

function periodOf(bucketMs: number): number {
  return Math.max(1, Math.round(DAY_MS / bucketMs));
}

function meta(name: GeneratorName, opts: GeneratorBase, params: Record<string, string | number | boolean>) {
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

export function flatWorkload(opts: GeneratorBase): SimWorkload {
  const builder = new WorkloadBuilder(meta("flat", opts, {}), streamKeys(opts));
  const shares = Array.from({ length: opts.streams }, (_, s) => zipfShares(opts.keysPerStream, opts.zipfS, `${opts.seed}:flat:${s}`).share);
  for (let b = 0; b < opts.buckets; b++) {
    for (let s = 0; s < opts.streams; s++) {
      const share = shares[s]!;
      for (let i = 0; i < opts.keysPerStream; i++) builder.add(b, s, i, share[i]! / opts.streams);
    }
  }
  return builder.build({ peakTotal: opts.peakTotal });
}

/** Daily and weekly cycles, optionally with a drifting hot set. */
function cyclic(name: "diurnal" | "zipf-drift", opts: GeneratorBase, d: DiurnalParams, drift: DriftParams | null): SimWorkload {
  const params: Record<string, number> = { ...d, ...(drift ?? {}) };
  const builder = new WorkloadBuilder(meta(name, opts, params), streamKeys(opts));
  const rh = rhythms(opts, d);
  const pops = rh.map((_, s) => zipfShares(opts.keysPerStream, opts.zipfS, `${opts.seed}:${name}:${s}`));
  const shiftPerBucket = drift ? (drift.driftRanksPerDay * opts.bucketMs) / DAY_MS : 0;
  for (let b = 0; b < opts.buckets; b++) {
    for (let s = 0; s < opts.streams; s++) {
      const rate = bucketMean(b, opts.bucketMs, (t) => rhythmRate(t, rh[s]!));
      const pop = pops[s]!;
      const shift = b * shiftPerBucket;
      for (let i = 0; i < opts.keysPerStream; i++) {
        const share = drift ? driftedShare(pop.byRank, pop.rankOf[i]!, shift) : pop.share[i]!;
        builder.add(b, s, i, rate * share);
      }
    }
  }
  if (drift) {
    builder.markers.push({
      kind: "drift",
      streamId: "*",
      lo: 0,
      hi: HASH_SPACE,
      startBucket: 0,
      peakBucket: 0,
      endBucket: opts.buckets,
      label: `hot set drifts ${drift.driftRanksPerDay} ranks a day`,
    });
  }
  return builder.build({ peakTotal: opts.peakTotal });
}

export function diurnalWorkload(opts: GeneratorBase, d: DiurnalParams): SimWorkload {
  return cyclic("diurnal", opts, d, null);
}

export function zipfDriftWorkload(opts: GeneratorBase, d: DiurnalParams, drift: DriftParams): SimWorkload {
  return cyclic("zipf-drift", opts, d, drift);
}

interface Crowd {
  stream: number;
  burst: Burst;
  keys: string[];
  announced: boolean;
}

/** Crowds are drawn from the seed alone, so every policy of a run sees the same ones. */
function scheduleCrowds(opts: GeneratorBase, c: FlashCrowdParams): Crowd[] {
  const rng = createRng(`${opts.seed}:crowds`);
  const first = opts.warmupBuckets * opts.bucketMs;
  const end = opts.buckets * opts.bucketMs;
  const days = Math.max(0, (end - first) / DAY_MS);
  const count = Math.max(0, Math.round(days * c.crowdsPerDay));
  const crowds: Crowd[] = [];
  const width = Math.max(1, Math.floor(c.crowdHashWidth * HASH_SPACE));
  for (let index = 0; index < count; index++) {
    const duration = c.crowdHours * HOUR_MS * rng.range(0.5, 1.5);
    // Spread over the run: one crowd per equal slot, at a random point of its slot.
    const slot = (end - first - duration) / count;
    const startMs = first + index * slot + rng.next() * Math.max(0, slot);
    const hashLo = Math.floor(rng.next() * (HASH_SPACE - width + 1));
    const burst: Burst = {
      index,
      startMs,
      endMs: startMs + duration,
      peakRate: c.crowdPeak * rng.range(0.75, 1.25),
      hashLo,
      hashHi: hashLo + width,
    };
    const stream = rng.int(opts.streams);
    crowds.push({ stream, burst, keys: burstKeys(burst, c.crowdKeys, `s${stream}-flash-${opts.seed}-`), announced: rng.chance(c.announcedShare) });
  }
  return crowds;
}

export function flashCrowdWorkload(opts: GeneratorBase, d: DiurnalParams, c: FlashCrowdParams): SimWorkload {
  const crowds = scheduleCrowds(opts, c);
  const extra: string[][] = Array.from({ length: opts.streams }, () => []);
  const crowdOffset = crowds.map((cr) => {
    const list = extra[cr.stream]!;
    const at = opts.keysPerStream + list.length;
    list.push(...cr.keys);
    return at;
  });
  const builder = new WorkloadBuilder(meta("flash-crowd", opts, { ...d, ...c }), streamKeys(opts, extra));
  const rh = rhythms(opts, d);
  const pops = rh.map((_, s) => zipfShares(opts.keysPerStream, opts.zipfS, `${opts.seed}:flash-crowd:${s}`));
  for (let b = 0; b < opts.buckets; b++) {
    for (let s = 0; s < opts.streams; s++) {
      const rate = bucketMean(b, opts.bucketMs, (t) => rhythmRate(t, rh[s]!));
      const share = pops[s]!.share;
      for (let i = 0; i < opts.keysPerStream; i++) builder.add(b, s, i, rate * share[i]!);
    }
  }
  const lead = Math.round((c.announceLeadHours * HOUR_MS) / opts.bucketMs);
  crowds.forEach((cr, n) => {
    const { burst } = cr;
    const from = Math.floor(burst.startMs / opts.bucketMs);
    const to = Math.min(opts.buckets - 1, Math.floor(burst.endMs / opts.bucketMs));
    let peakBucket = from;
    let peakValue = -1;
    for (let b = from; b <= to; b++) {
      const rate = bucketMean(b, opts.bucketMs, (t) => burstRate(burst, t));
      if (rate > peakValue) {
        peakValue = rate;
        peakBucket = b;
      }
      for (let k = 0; k < cr.keys.length; k++) builder.add(b, cr.stream, crowdOffset[n]! + k, rate / cr.keys.length);
    }
    builder.markers.push({
      kind: "flash_crowd",
      streamId: `s${cr.stream}`,
      lo: burst.hashLo,
      hi: burst.hashHi,
      startBucket: from,
      peakBucket,
      endBucket: to + 1,
      // burstRate rises over the first 15% of the burst.
      peakMs: burst.startMs + 0.15 * (burst.endMs - burst.startMs),
      label: `flash crowd ${n + 1}${cr.announced ? " (announced)" : ""}`,
    });
    if (cr.announced) {
      builder.announcements.push({
        streamId: `s${cr.stream}`,
        lo: burst.hashLo,
        hi: burst.hashHi,
        fromBucket: from,
        toBucket: to + 1,
        rate: burst.peakRate,
        knownFromBucket: Math.max(0, from - lead),
      });
    }
  });
  return builder.build({ peakTotal: opts.peakTotal });
}

export function rampWorkload(opts: GeneratorBase, d: DiurnalParams, r: RampParams): SimWorkload {
  const builder = new WorkloadBuilder(meta("ramp", opts, { ...d, ...r }), streamKeys(opts));
  const rh = rhythms(opts, d);
  const pops = rh.map((_, s) => zipfShares(opts.keysPerStream, opts.zipfS, `${opts.seed}:ramp:${s}`));
  const span = Math.max(1, opts.buckets - opts.warmupBuckets);
  for (let b = 0; b < opts.buckets; b++) {
    const progress = Math.min(1, Math.max(0, (b - opts.warmupBuckets) / span));
    for (let s = 0; s < opts.streams; s++) {
      const growth = s === 0 ? 1 + (r.rampFactor - 1) * progress : 1;
      const rate = bucketMean(b, opts.bucketMs, (t) => rhythmRate(t, rh[s]!)) * growth;
      const share = pops[s]!.share;
      for (let i = 0; i < opts.keysPerStream; i++) builder.add(b, s, i, rate * share[i]!);
    }
  }
  builder.markers.push({
    kind: "ramp",
    streamId: "s0",
    lo: 0,
    hi: HASH_SPACE,
    startBucket: opts.warmupBuckets,
    peakBucket: opts.buckets - 1,
    endBucket: opts.buckets,
    label: `stream s0 grows ${r.rampFactor}x`,
  });
  return builder.build({ peakTotal: opts.peakTotal });
}

/**
 * Tenants that do not share every host: each stream is one tenant with its own key range, laid out
 * on `tenantHosts` consecutive hosts, with a size drawn log-uniformly over `sizeSpread`, a daily
 * peak anywhere in the day (time zones), a weekly rhythm that peaks mid-week or at the weekend, and
 * unannounced bursts. Load is uneven between hosts from the start, and the hours at which each host
 * is busy differ.
 */
export function tenantsWorkload(opts: GeneratorBase, d: DiurnalParams, t: TenantParams): SimWorkload {
  const builder = new WorkloadBuilder(meta("tenants", opts, { ...d, ...t }), streamKeys(opts));
  const rng = createRng(`${opts.seed}:tenants`);
  const n = opts.streams;
  const sizes = Array.from({ length: n }, () => Math.exp(rng.next() * Math.log(Math.max(1, t.sizeSpread))));
  const sizeSum = sizes.reduce((a, b) => a + b, 0);
  const rh = Array.from({ length: n }, (_, s) =>
    resolveRhythm({
      baseRate: sizes[s]! / sizeSum,
      dayMs: DAY_MS,
      dailyAmplitude: d.dailyAmplitude * rng.range(0.5, 1),
      weeklyAmplitude: d.weeklyAmplitude * rng.range(0.3, 1),
      peakAt: (0.55 + rng.next() * d.phaseSpread) % 1,
      // A weekend business peaks three or four days after the default mid-week peak.
      originMs: rng.chance(0.3) ? -rng.int(2) * DAY_MS - 3 * DAY_MS : 0,
    }),
  );
  const bursts: Array<{ stream: number; from: number; to: number; factor: number }> = [];
  const measuredBuckets = Math.max(0, opts.buckets - opts.warmupBuckets);
  const perTenant = (t.burstsPerWeek * measuredBuckets * opts.bucketMs) / (7 * DAY_MS);
  for (let s = 0; s < n; s++) {
    const count = Math.floor(perTenant) + (rng.chance(perTenant - Math.floor(perTenant)) ? 1 : 0);
    for (let k = 0; k < count; k++) {
      const from = opts.warmupBuckets + rng.int(Math.max(1, measuredBuckets));
      const hours = 2 + rng.int(5);
      bursts.push({ stream: s, from, to: Math.min(opts.buckets, from + Math.max(1, Math.round((hours * HOUR_MS) / opts.bucketMs))), factor: rng.range(1.5, 3) });
    }
  }
  const pops = rh.map((_, s) => zipfShares(opts.keysPerStream, opts.zipfS, `${opts.seed}:tenants:${s}`));
  for (let b = 0; b < opts.buckets; b++) {
    for (let s = 0; s < n; s++) {
      let rate = bucketMean(b, opts.bucketMs, (x) => rhythmRate(x, rh[s]!));
      for (const u of bursts) if (u.stream === s && b >= u.from && b < u.to) rate *= u.factor;
      const share = pops[s]!.share;
      for (let i = 0; i < opts.keysPerStream; i++) builder.add(b, s, i, rate * share[i]!);
    }
  }
  for (const u of bursts) {
    builder.markers.push({ kind: "flash_crowd", streamId: `s${u.stream}`, lo: 0, hi: HASH_SPACE, startBucket: u.from, peakBucket: u.from, endBucket: u.to, label: `tenant s${u.stream} bursts ${u.factor.toFixed(1)}x` });
  }
  const w = builder.build({ peakTotal: opts.peakTotal });
  const span = Math.max(1, Math.round(t.tenantHosts));
  // Consecutive tenants start on different hosts, so every host carries a few tenants.
  return { ...w, streams: w.streams.map((st, s) => ({ ...st, hosts: { offset: s * span, span } })) };
}

export { DAY_MS, HOUR_MS, periodOf };
