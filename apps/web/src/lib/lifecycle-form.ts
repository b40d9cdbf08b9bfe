import { lifecycleSettingsSchema, type LifecycleSettings } from "@shardcast/core/lifecycle/settings";
import { KIB, MIB, type LifecycleField } from "./lifecycle-fields.ts";

/** The settings form's values as typed (strings), and their conversion to and from settings. */

export type NumberField = Exclude<LifecycleField, "enabled" | "initialCapacityBytes">;
export type Unit = "KiB" | "MiB";
export const UNIT_BYTES: Record<Unit, number> = { KiB: KIB, MiB: MIB };

export interface FormValues extends Record<NumberField, string> {
  enabled: boolean;
  capacity: string;
  capacityUnit: Unit;
}

export type Errors = Partial<Record<LifecycleField, string>>;

const NUMBER_FIELDS: readonly NumberField[] = ["splitThreshold", "splitWriteRate", "mergeThreshold", "mergeWriteRate", "minShardletWidth", "maxShardletsPerStream"];

export function toForm(s: LifecycleSettings): FormValues {
  // MiB only when the value is a whole number of eighths of one, so the shown decimal is exact.
  const unit: Unit = s.initialCapacityBytes >= MIB && s.initialCapacityBytes % (MIB / 8) === 0 ? "MiB" : "KiB";
  const capacity = s.initialCapacityBytes / UNIT_BYTES[unit];
  return {
    enabled: s.enabled,
    capacity: String(Number.isInteger(capacity) ? capacity : Number(capacity.toFixed(3))),
    capacityUnit: unit,
    splitThreshold: String(s.splitThreshold),
    splitWriteRate: String(s.splitWriteRate),
    mergeThreshold: String(s.mergeThreshold),
    mergeWriteRate: String(s.mergeWriteRate),
    minShardletWidth: String(s.minShardletWidth),
    maxShardletsPerStream: String(s.maxShardletsPerStream),
  };
}

/** A typed number, or the message for the field when it is empty or not a number. */
export function parseNumber(raw: string): number | string {
  if (raw.trim() === "") return "enter a value";
  const n = Number(raw);
  return Number.isFinite(n) ? n : "enter a number";
}

/**
 * Form strings -> settings, checked with the schema the server uses, so every message shown is
 * the one the server would give. `value` is null while any field has a message.
 */
export function fromForm(v: FormValues): { value: LifecycleSettings | null; errors: Errors } {
  const errors: Errors = {};
  const candidate: Record<string, unknown> = { enabled: v.enabled };
  const capacity = parseNumber(v.capacity);
  if (typeof capacity === "string") errors.initialCapacityBytes = capacity;
  else candidate.initialCapacityBytes = Math.round(capacity * UNIT_BYTES[v.capacityUnit]);
  for (const f of NUMBER_FIELDS) {
    const n = parseNumber(v[f]);
    if (typeof n === "string") errors[f] = n;
    else candidate[f] = n;
  }
  const parsed = lifecycleSettingsSchema.safeParse(candidate);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const f = issue.path[0] as LifecycleField | undefined;
      if (f && !(f in errors)) errors[f] = issue.message;
    }
  }
  return { value: parsed.success && Object.keys(errors).length === 0 ? parsed.data : null, errors };
}

export function sameSettings(a: LifecycleSettings, b: LifecycleSettings): boolean {
  return (Object.keys(a) as LifecycleField[]).every((k) => a[k] === b[k]);
}
