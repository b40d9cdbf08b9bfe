import { keyHash, ShardcastError } from "@shardcast/core";
import type { LoadAnnouncement, SimStream, SimWorkload, WorkloadMarker } from "./types.ts";

export interface StreamKeys {
  id: string;
  /** Key names; hashed with the edge's key hash so a key lands where the real router puts it. */
  keys: readonly string[];
  /** Hashes of the keys when they are known rather than named (telemetry of key ranges). */
  hashes?: readonly number[];
}

export interface WorkloadMeta {
  name: string;
  description: string;
  source: string;
  bucketMs: number;
  buckets: number;
  period: number;
  params: Record<string, string | number | boolean>;
}

/** Cap on the rate matrix (buckets x keys): about 64 MB of doubles in the prefix sums. */
export const MAX_MATRIX_CELLS = 8_000_000;

/**
 * Collects per-key rates bucket by bucket, then sorts keys by hash inside each stream and turns the
 * matrix into prefix sums (see `SimWorkload.prefix`). Generators address keys by the index they
 * were given (`streamKey(stream, i)`), not by their sorted position.
 */
export class WorkloadBuilder {
  readonly meta: WorkloadMeta;
  readonly streams: SimStream[] = [];
  /** Sorted position of the i-th key of stream s: `position[offset[s] + i]`. */
  readonly #position: Int32Array;
  readonly #offsets: number[] = [];
  readonly #hashes: Uint32Array;
  readonly #rates: Float64Array;
  readonly #k: number;
  readonly announcements: LoadAnnouncement[] = [];
  readonly markers: WorkloadMarker[] = [];

  constructor(meta: WorkloadMeta, streams: readonly StreamKeys[]) {
    if (!(meta.bucketMs > 0) || !Number.isInteger(meta.buckets) || meta.buckets < 2) {
      throw new ShardcastError("bad_request", `workload ${meta.name}: needs at least 2 buckets of a positive length`);
    }
    this.meta = meta;
    const total = streams.reduce((n, s) => n + s.keys.length, 0);
    if (total === 0) throw new ShardcastError("bad_request", `workload ${meta.name}: no keys`);
    if (total * meta.buckets > MAX_MATRIX_CELLS) {
      throw new ShardcastError(
        "bad_request",
        `workload ${meta.name}: ${total} keys x ${meta.buckets} buckets is over the limit of ${MAX_MATRIX_CELLS.toLocaleString("en-US")} cells; use fewer keys or days`,
      );
    }
    this.#k = total;
    this.#position = new Int32Array(total);
    this.#hashes = new Uint32Array(total);
    this.#rates = new Float64Array(total * meta.buckets);
    let offset = 0;
    for (const s of streams) {
      this.#offsets.push(offset);
      const order = s.keys.map((k, i) => ({ i, h: s.hashes?.[i] ?? keyHash(k) }));
      order.sort((a, b) => a.h - b.h || a.i - b.i);
      order.forEach(({ i, h }, rank) => {
        this.#position[offset + i] = offset + rank;
        this.#hashes[offset + rank] = h;
      });
      this.streams.push({ id: s.id, keyStart: offset, keyEnd: offset + s.keys.length });
      offset += s.keys.length;
    }
  }

  get keys(): number {
    return this.#k;
  }

  /** Hash of the i-th key (generator order) of stream s. */
  hashOf(stream: number, i: number): number {
    return this.#hashes[this.#position[this.#offsets[stream]! + i]!]!;
  }

  /** Adds `rate` events/s to the i-th key of stream s in bucket b. */
  add(b: number, stream: number, i: number, rate: number): void {
    this.#rates[b * this.#k + this.#position[this.#offsets[stream]! + i]!]! += rate;
  }

  /** Total events/s of bucket b so far. */
  bucketTotal(b: number): number {
    let sum = 0;
    const base = b * this.#k;
    for (let k = 0; k < this.#k; k++) sum += this.#rates[base + k]!;
    return sum;
  }

  /**
   * Finishes the workload. With `peakTotal`, every rate (and announcement) is scaled so that the
   * busiest bucket's total is `peakTotal` events/s: workloads are sized against the cluster, not
   * against the units of their source.
   */
  build(opts: { peakTotal?: number } = {}): SimWorkload {
    const { buckets } = this.meta;
    const k = this.#k;
    let scale = 1;
    if (opts.peakTotal !== undefined) {
      let peak = 0;
      for (let b = 0; b < buckets; b++) peak = Math.max(peak, this.bucketTotal(b));
      if (!(peak > 0)) throw new ShardcastError("bad_request", `workload ${this.meta.name}: every bucket is empty`);
      scale = opts.peakTotal / peak;
    }
    const prefix = new Float64Array(buckets * (k + 1));
    for (let b = 0; b < buckets; b++) {
      const src = b * k;
      const dst = b * (k + 1);
      let acc = 0;
      prefix[dst] = 0;
      for (let i = 0; i < k; i++) {
        acc += this.#rates[src + i]! * scale;
        prefix[dst + i + 1] = acc;
      }
    }
    return {
      name: this.meta.name,
      description: this.meta.description,
      source: this.meta.source,
      bucketMs: this.meta.bucketMs,
      buckets,
      period: this.meta.period,
      streams: this.streams,
      keyHashes: this.#hashes,
      prefix,
      announcements: this.announcements.map((a) => ({ ...a, rate: a.rate * scale })),
      markers: this.markers,
      params: { ...this.meta.params, scale: Number(scale.toPrecision(6)) },
    };
  }
}

/** Index of the first key of [keyStart, keyEnd) whose hash is >= h (binary search). */
export function lowerBound(hashes: Uint32Array, keyStart: number, keyEnd: number, h: number): number {
  let lo = keyStart;
  let hi = keyEnd;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (hashes[mid]! < h) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Summed events/s of keys [a, c) in bucket b. */
export function rangeRate(w: SimWorkload, b: number, a: number, c: number): number {
  const row = b * (w.keyHashes.length + 1);
  return w.prefix[row + c]! - w.prefix[row + a]!;
}

/** Summed events/s of the whole workload in bucket b. */
export function totalRate(w: SimWorkload, b: number): number {
  return w.prefix[b * (w.keyHashes.length + 1) + w.keyHashes.length]!;
}
