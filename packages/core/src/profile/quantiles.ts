import { DDSketch } from "@datadog/sketches-js";
import { fromBase64, toBase64 } from "./base64.ts";

/** Relative accuracy of every quantile: a reported p99 is within 1 % of a value at that rank. */
export const QUANTILE_RELATIVE_ACCURACY = 0.01;

/** A sketch as it travels (Redis, JSON columns): the DDSketch protobuf plus the figures it drops. */
export interface SketchData {
  /** Base64 of `DDSketch.toProto()`; empty when nothing was added. */
  p: string;
  n: number;
  sum: number;
  min: number | null;
  max: number | null;
}

/**
 * A mergeable quantile sketch (DDSketch, Masson et al. 2019, from Datadog's maintained library)
 * for record sizes and latencies. `fromProto` drops count-independent summaries (min, max, sum), so
 * they are kept beside the protobuf and restored on decode.
 */
export class QuantileSketch {
  #s: DDSketch;
  #n = 0;
  #sum = 0;
  #min = Number.POSITIVE_INFINITY;
  #max = Number.NEGATIVE_INFINITY;

  constructor(s?: DDSketch) {
    this.#s = s ?? new DDSketch({ relativeAccuracy: QUANTILE_RELATIVE_ACCURACY });
  }

  get count(): number {
    return this.#n;
  }

  /** Adds `value` `weight` times (negative and non-finite values are ignored: sizes and latencies are never negative). */
  add(value: number, weight = 1): void {
    if (!(value >= 0) || !Number.isFinite(value) || !(weight > 0)) return;
    this.#s.accept(value, weight);
    this.#n += weight;
    this.#sum += value * weight;
    if (value < this.#min) this.#min = value;
    if (value > this.#max) this.#max = value;
  }

  merge(other: QuantileSketch): void {
    if (other.#n === 0) return;
    this.#s.merge(other.#s);
    this.#n += other.#n;
    this.#sum += other.#sum;
    this.#min = Math.min(this.#min, other.#min);
    this.#max = Math.max(this.#max, other.#max);
  }

  /** The value at quantile `q` (clamped to the exact min and max), or null when empty. */
  quantile(q: number): number | null {
    if (this.#n === 0) return null;
    const v = this.#s.getValueAtQuantile(Math.min(1, Math.max(0, q)));
    return Math.min(this.#max, Math.max(this.#min, v));
  }

  get mean(): number | null {
    return this.#n > 0 ? this.#sum / this.#n : null;
  }

  get max(): number | null {
    return this.#n > 0 ? this.#max : null;
  }

  encode(): SketchData {
    if (this.#n === 0) return { p: "", n: 0, sum: 0, min: null, max: null };
    return { p: toBase64(this.#s.toProto()), n: this.#n, sum: this.#sum, min: this.#min, max: this.#max };
  }

  /** Anything malformed decodes as an empty sketch: telemetry never fails a rollup. */
  static decode(d: unknown): QuantileSketch {
    const o = (d ?? {}) as Partial<Record<keyof SketchData, unknown>>;
    const out = new QuantileSketch();
    const n = typeof o.n === "number" && Number.isFinite(o.n) && o.n > 0 ? o.n : 0;
    if (n === 0 || typeof o.p !== "string" || o.p === "") return out;
    const bytes = fromBase64(o.p);
    if (!bytes) return out;
    let s: DDSketch;
    try {
      s = DDSketch.fromProto(bytes);
    } catch {
      return out;
    }
    const q = new QuantileSketch(s);
    q.#n = n;
    q.#sum = typeof o.sum === "number" && Number.isFinite(o.sum) ? o.sum : 0;
    const lo = s.getValueAtQuantile(0);
    const hi = s.getValueAtQuantile(1);
    q.#min = typeof o.min === "number" && Number.isFinite(o.min) ? o.min : lo;
    q.#max = typeof o.max === "number" && Number.isFinite(o.max) ? o.max : hi;
    return q;
  }
}
