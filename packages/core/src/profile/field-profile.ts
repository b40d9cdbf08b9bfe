/** The profile of one payload field of a shardlet: a part of `ShardletProfile`, merged and stored with it. */

import { SpaceSaving, type SpaceSavingData } from "../telemetry/space-saving.ts";
import { HyperLogLog } from "./hll.ts";
import { addMoment, emptyMoments, mergeMoments, momentsFromJson, momentsToJson, type MomentsData } from "./moments.ts";

/** Values and keys tracked per field and shardlet by Space-Saving. */
export const PROFILE_TOP_ITEMS = 16;
/** Longest value label kept in a top-values list (longer strings are cut). */
export const PROFILE_VALUE_LABEL_MAX = 64;

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

export class FieldAccumulator {
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

export function count(v: unknown): number {
  return typeof v === "number" && Number.isFinite(v) && v > 0 ? Math.floor(v) : 0;
}
