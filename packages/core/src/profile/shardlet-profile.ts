import { SpaceSaving, type SpaceSavingData } from "../telemetry/space-saving.ts";
import { count, FieldAccumulator, PROFILE_TOP_ITEMS, type FieldProfileData } from "./field-profile.ts";
import { extractField, parseFieldPath, type PathStep } from "./fields.ts";
import { HyperLogLog } from "./hll.ts";
import { QuantileSketch, type SketchData } from "./quantiles.ts";

/** Equal-width bins over a shardlet's hash range: where in the range the sampled keys fall. */
export const PROFILE_KEY_BINS = 32;

/** Pass as the payload of an event too large to parse: its key and size are profiled, its fields are not. */
export const OVERSIZE: unique symbol = Symbol("oversize payload");

export interface CompiledField {
  path: string;
  steps: PathStep[];
}

export function compileFields(paths: readonly string[]): CompiledField[] {
  return paths.map((path) => ({ path, steps: parseFieldPath(path) }));
}

/** One shardlet's profile over some time, as it travels through Redis and is stored. */
export interface ProfileData {
  v: 1;
  /** Events profiled (a sample of those written). */
  sampled: number;
  /** Sampled events whose payload was too large to parse for key fields (key and size still count). */
  oversize?: number;
  keyBins: number[];
  /** HyperLogLog of the sampled event keys. */
  keys: string;
  hotKeys: SpaceSavingData;
  /** Stored record sizes in bytes. */
  sizes: SketchData;
  /** Write ack latency (ms), one weight per acknowledged event, sampled or not. */
  ack: SketchData;
  /** Read request latency (ms), one weight per event returned. */
  read: SketchData;
  fields: Record<string, FieldProfileData>;
}

/**
 * The profiler's rolling statistics for one shardlet (seed 004's Data Profiler): every part is a
 * mergeable summary, so profiles from several edges and flushes add up to the profile of one edge
 * that saw everything (exactly for counts, moments, HyperLogLog registers and quantile bins; within
 * Space-Saving's error bounds for top items).
 */
export class ShardletProfile {
  sampled = 0;
  oversize = 0;
  keyBins: number[] = new Array<number>(PROFILE_KEY_BINS).fill(0);
  keys = new HyperLogLog();
  hotKeys = new SpaceSaving(PROFILE_TOP_ITEMS);
  sizes = new QuantileSketch();
  ack = new QuantileSketch();
  read = new QuantileSketch();
  fields = new Map<string, FieldAccumulator>();

  /**
   * One sampled event. `keyPosition` is where its key hash falls in the shardlet's range, in
   * [0, 1); `payload` is the parsed payload, or `OVERSIZE`. Payload problems (missing paths, wrong
   * types, nesting) are counted, never thrown.
   */
  observe(key: string, payload: unknown, sizeBytes: number, keyPosition: number, fields: readonly CompiledField[]): void {
    this.sampled++;
    const bin = Math.min(PROFILE_KEY_BINS - 1, Math.max(0, Math.floor(keyPosition * PROFILE_KEY_BINS)));
    this.keyBins[bin]!++;
    this.keys.add(key);
    this.hotKeys.add(key);
    this.sizes.add(sizeBytes);
    if (payload === OVERSIZE) {
      this.oversize++;
      return;
    }
    for (const f of fields) {
      let acc = this.fields.get(f.path);
      if (!acc) this.fields.set(f.path, (acc = new FieldAccumulator()));
      acc.observe(extractField(payload, f.steps));
    }
  }

  get empty(): boolean {
    return this.sampled === 0 && this.ack.count === 0 && this.read.count === 0;
  }

  merge(o: ShardletProfile): void {
    this.sampled += o.sampled;
    this.oversize += o.oversize;
    for (let i = 0; i < PROFILE_KEY_BINS; i++) this.keyBins[i]! += o.keyBins[i]!;
    this.keys.merge(o.keys);
    this.hotKeys.merge(o.hotKeys);
    this.sizes.merge(o.sizes);
    this.ack.merge(o.ack);
    this.read.merge(o.read);
    for (const [path, f] of o.fields) {
      const mine = this.fields.get(path);
      if (mine) mine.merge(f);
      else this.fields.set(path, FieldAccumulator.fromData(f.toData()));
    }
  }

  toData(): ProfileData {
    const fields: Record<string, FieldProfileData> = {};
    for (const [path, f] of this.fields) fields[path] = f.toData();
    return {
      v: 1,
      sampled: this.sampled,
      ...(this.oversize > 0 ? { oversize: this.oversize } : {}),
      keyBins: [...this.keyBins],
      keys: this.keys.encode(),
      hotKeys: this.hotKeys.toData(),
      sizes: this.sizes.encode(),
      ack: this.ack.encode(),
      read: this.read.encode(),
      fields,
    };
  }

  static fromData(d: unknown): ShardletProfile {
    const o = (d ?? {}) as Partial<Record<keyof ProfileData, unknown>>;
    const p = new ShardletProfile();
    p.sampled = count(o.sampled);
    p.oversize = count(o.oversize);
    if (Array.isArray(o.keyBins) && o.keyBins.length === PROFILE_KEY_BINS) p.keyBins = o.keyBins.map(count);
    p.keys = HyperLogLog.decode(typeof o.keys === "string" ? o.keys : "");
    p.hotKeys = SpaceSaving.fromData(o.hotKeys, PROFILE_TOP_ITEMS);
    p.sizes = QuantileSketch.decode(o.sizes);
    p.ack = QuantileSketch.decode(o.ack);
    p.read = QuantileSketch.decode(o.read);
    if (o.fields && typeof o.fields === "object" && !Array.isArray(o.fields)) {
      for (const [path, f] of Object.entries(o.fields as Record<string, unknown>)) p.fields.set(path, FieldAccumulator.fromData(f));
    }
    return p;
  }
}

/** Several stored profiles as one (e.g. a shardlet's buckets over the last 15 minutes). */
export function mergeProfileData(list: Iterable<unknown>): ShardletProfile {
  const out = new ShardletProfile();
  for (const d of list) out.merge(ShardletProfile.fromData(d));
  return out;
}
