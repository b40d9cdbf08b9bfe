import { burstKeys, burstRate, createRng, HASH_SPACE, rhythmRate, type Burst } from "@shardcast/core";
import { WorkloadBuilder } from "./builder.ts";
import { bucketMean, DAY_MS, HOUR_MS, meta, rhythms, streamKeys, type DiurnalParams, type GeneratorBase } from "./generator-common.ts";
import { zipfShares } from "./popularity.ts";
import type { SimWorkload } from "./types.ts";

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
