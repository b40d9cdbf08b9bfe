import { SpaceSaving, type SpaceSavingData } from "../telemetry/space-saving.ts";
import { extractField, parseFieldPath, type PathStep } from "./fields.ts";
import { HyperLogLog } from "./hll.ts";
import { addMoment, emptyMoments, mergeMoments, momentsFromJson, momentsStd, momentsToJson, type MomentsData } from "./moments.ts";
import { QuantileSketch, type SketchData } from "./quantiles.ts";

/** Equal-width bins over a shardlet's hash range: where in the range the sampled keys fall. */
export const PROFILE_KEY_BINS = 32;
/** Values and keys tracked per field and shardlet by Space-Saving. */
export const PROFILE_TOP_ITEMS = 16;
/** Longest value label kept in a top-values list (longer strings are cut). */
export const PROFILE_VALUE_LABEL_MAX = 64;

/** Pass as the payload of an event too large to parse: its key and size are profiled, its fields are not. */
export const OVERSIZE: unique symbol = Symbol("oversize payload");

export interface CompiledField {
  path: string;
  steps: PathStep[];
}

export function compileFields(paths: readonly string[]): CompiledField[] {
  return paths.map((path) => ({ path, steps: parseFieldPath(path) }));
}

export interface FieldProfileData {
  /** Sampled events this field was looked for in. */
  seen: number;
  missing: number;
  nulls: number;
  /** Objects or arrays where a scalar was expected. */
  complex: number;
  /** Strings and booleans (a numeric field that holds them is reported, not failed). */
  nonNumeric: number;
  numeric: ReturnType<typeof momentsToJson>;
  distinct: string;
  top: SpaceSavingData;
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

class FieldAccumulator {
  seen = 0;
  missing = 0;
  nulls = 0;
  complex = 0;
  nonNumeric = 0;
  numeric: MomentsData = emptyMoments();
  distinct = new HyperLogLog();
  top = new SpaceSaving(PROFILE_TOP_ITEMS);

  observe(v: unknown): void {
    this.seen++;
    let label: string;
    switch (typeof v) {
      case "undefined":
        this.missing++;
        return;
      case "number":
        if (!Number.isFinite(v)) {
          this.nonNumeric++;
          return;
        }
        addMoment(this.numeric, v);
        label = String(v);
        break;
      case "string":
        this.nonNumeric++;
        label = v.length > PROFILE_VALUE_LABEL_MAX ? v.slice(0, PROFILE_VALUE_LABEL_MAX) : v;
        break;
      case "boolean":
        this.nonNumeric++;
        label = v ? "true" : "false";
        break;
      default:
        if (v === null) this.nulls++;
        else this.complex++;
        return;
    }
    this.distinct.add(label);
    this.top.add(label);
  }

  toData(): FieldProfileData {
    return {
      seen: this.seen,
      missing: this.missing,
      nulls: this.nulls,
      complex: this.complex,
      nonNumeric: this.nonNumeric,
      numeric: momentsToJson(this.numeric),
      distinct: this.distinct.encode(),
      top: this.top.toData(),
    };
  }

  static fromData(d: unknown): FieldAccumulator {
    const o = (d ?? {}) as Partial<Record<keyof FieldProfileData, unknown>>;
    const f = new FieldAccumulator();
    f.seen = count(o.seen);
    f.missing = count(o.missing);
    f.nulls = count(o.nulls);
    f.complex = count(o.complex);
    f.nonNumeric = count(o.nonNumeric);
    f.numeric = momentsFromJson(o.numeric);
    f.distinct = HyperLogLog.decode(typeof o.distinct === "string" ? o.distinct : "");
    f.top = SpaceSaving.fromData(o.top, PROFILE_TOP_ITEMS);
    return f;
  }

  merge(o: FieldAccumulator): void {
    this.seen += o.seen;
    this.missing += o.missing;
    this.nulls += o.nulls;
    this.complex += o.complex;
    this.nonNumeric += o.nonNumeric;
    this.numeric = mergeMoments(this.numeric, o.numeric);
    this.distinct.merge(o.distinct);
    this.top.merge(o.top);
  }
}

function count(v: unknown): number {
  return typeof v === "number" && Number.isFinite(v) && v > 0 ? Math.floor(v) : 0;
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

export interface FieldSummary {
  path: string;
  seen: number;
  missingRate: number;
  nullRate: number;
  complexRate: number;
  /** Share of present values that were numbers. */
  numericShare: number;
  mean: number | null;
  std: number | null;
  min: number | null;
  max: number | null;
  distinct: number;
  topValues: Array<{ value: string; share: number }>;
  /** Share of present values taken by the most common one (1 = a constant field). */
  topShare: number;
}

export interface ProfileSummary {
  sampled: number;
  /** Sampled events whose fields were not profiled because the payload was too large. */
  oversize: number;
  distinctKeys: number;
  topKeys: Array<{ key: string; share: number }>;
  /** Share of sampled writes on the hottest key. */
  topKeyShare: number;
  keyBins: number[];
  /** Median position of the sampled keys in the shardlet's range, in [0, 1]; null when nothing was sampled. */
  keyMedianPosition: number | null;
  sizes: { p50: number; p90: number; p99: number; mean: number; max: number } | null;
  ackP99Ms: number | null;
  readP99Ms: number | null;
  fields: FieldSummary[];
}

/** Median of the binned key positions, interpolated inside its bin. */
export function binnedMedian(bins: readonly number[]): number | null {
  const total = bins.reduce((a, b) => a + b, 0);
  if (total <= 0) return null;
  const half = total / 2;
  let acc = 0;
  for (let i = 0; i < bins.length; i++) {
    const b = bins[i]!;
    if (acc + b >= half && b > 0) return (i + (half - acc) / b) / bins.length;
    acc += b;
  }
  return 1;
}

function share(n: number, of: number): number {
  return of > 0 ? n / of : 0;
}

export function summarizeProfile(p: ShardletProfile): ProfileSummary {
  const topKeys = p.hotKeys.top(PROFILE_TOP_ITEMS).map((e) => ({ key: e.item, share: share(e.count, p.sampled) }));
  const q = (s: QuantileSketch, x: number) => s.quantile(x) ?? 0;
  const fields: FieldSummary[] = [...p.fields].map(([path, f]) => {
    const present = f.seen - f.missing - f.nulls;
    const top = f.top.top(PROFILE_TOP_ITEMS);
    const m = f.numeric;
    return {
      path,
      seen: f.seen,
      missingRate: share(f.missing, f.seen),
      nullRate: share(f.nulls, f.seen),
      complexRate: share(f.complex, f.seen),
      numericShare: share(m.n, present),
      mean: m.n > 0 ? m.mean : null,
      std: m.n > 0 ? momentsStd(m) : null,
      min: m.n > 0 ? m.min : null,
      max: m.n > 0 ? m.max : null,
      distinct: Math.round(f.distinct.estimate()),
      topValues: top.map((e) => ({ value: e.item, share: share(e.count, present) })),
      topShare: share(top[0]?.count ?? 0, present),
    };
  });
  fields.sort((a, b) => (a.path < b.path ? -1 : 1));
  return {
    sampled: p.sampled,
    oversize: p.oversize,
    distinctKeys: Math.round(p.keys.estimate()),
    topKeys,
    topKeyShare: topKeys[0]?.share ?? 0,
    keyBins: [...p.keyBins],
    keyMedianPosition: binnedMedian(p.keyBins),
    sizes: p.sizes.count > 0 ? { p50: q(p.sizes, 0.5), p90: q(p.sizes, 0.9), p99: q(p.sizes, 0.99), mean: p.sizes.mean ?? 0, max: p.sizes.max ?? 0 } : null,
    ackP99Ms: p.ack.quantile(0.99),
    readP99Ms: p.read.quantile(0.99),
    fields,
  };
}
