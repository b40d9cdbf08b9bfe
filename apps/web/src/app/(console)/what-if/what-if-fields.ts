/** The what-if form's fields: where each lives in the settings, its label and its hint. */
export type Area = "lifecycle" | "rebalance" | "analyzer";

export interface FieldSpec {
  area: Area;
  name: string;
  label: string;
  hint: string;
  step: string;
  integer?: boolean;
  /** Stored value per unit shown (the copy budget is stored in bytes/s and shown in MiB/s). */
  scale?: number;
}

export const FIELDS: FieldSpec[] = [
  { area: "lifecycle", name: "splitThreshold", label: "Split threshold", hint: "fullness that splits a shardlet", step: "0.05" },
  { area: "lifecycle", name: "splitWriteRate", label: "Split write rate", hint: "events/s that split a shardlet", step: "1" },
  { area: "lifecycle", name: "mergeThreshold", label: "Merge threshold", hint: "siblings below this fullness may merge", step: "0.05" },
  { area: "lifecycle", name: "mergeWriteRate", label: "Merge write rate", hint: "…and below this many events/s", step: "1" },
  { area: "rebalance", name: "tolerance", label: "Rebalance tolerance", hint: "a host above its share by this fraction triggers moves", step: "0.05" },
  { area: "rebalance", name: "hysteresis", label: "Hysteresis", hint: "band below the trigger a move may not cross", step: "0.05" },
  { area: "rebalance", name: "cooldownSec", label: "Cool-down (s)", hint: "a moved shardlet stays put this long", step: "1", integer: true },
  { area: "rebalance", name: "maxProposalsPerRun", label: "Moves per run", hint: "most moves one rebalancer run proposes", step: "1", integer: true },
  { area: "rebalance", name: "minBenefitPerMB", label: "Benefit per MB", hint: "events/s a move must take off per MiB copied", step: "0.01" },
  { area: "analyzer", name: "hostLoadBound", label: "Host load bound", hint: "no host planned above this × the mean predicted load", step: "0.05" },
  { area: "analyzer", name: "overloadFraction", label: "Overload fraction", hint: "of the split rate (and of a host) counted as overload", step: "0.05" },
  { area: "analyzer", name: "minMoveBenefit", label: "Move benefit (events/s)", hint: "a predictive move must take at least this off", step: "1" },
  { area: "analyzer", name: "horizonSec", label: "Horizon (s)", hint: "how far ahead load is forecast", step: "1", integer: true },
  { area: "analyzer", name: "copyBytesPerSec", label: "Copy budget (MiB/s)", hint: "what one migration copies per second: how long a move takes", step: "any", scale: 1024 * 1024 },
];

export type FormValues = Record<string, string>;

export const fieldKey = (f: Pick<FieldSpec, "area" | "name">) => `${f.area}.${f.name}`;

/** A stored value as the form shows it (in the field's unit). */
export function shownValue(f: FieldSpec, stored: number | undefined): number | undefined {
  return stored === undefined ? undefined : stored / (f.scale ?? 1);
}

export function toForm(fields: Record<Area, Record<string, number>>): FormValues {
  const out: FormValues = {};
  for (const f of FIELDS) out[fieldKey(f)] = String(shownValue(f, fields[f.area][f.name]) ?? "");
  return out;
}

/**
 * Typed strings -> the draft the API takes, or per-field messages. A field left at its stored
 * value is not sent: the run takes the stored setting as the product does (for the copy budget,
 * the speed recent migrations measured when that is slower).
 */
export function fromForm(values: FormValues, stored: Record<Area, Record<string, number>>): { draft: Record<Area, Record<string, number>> | null; errors: Record<string, string> } {
  const draft: Record<Area, Record<string, number>> = { lifecycle: {}, rebalance: {}, analyzer: {} };
  const errors: Record<string, string> = {};
  for (const f of FIELDS) {
    const raw = (values[fieldKey(f)] ?? "").trim();
    const n = Number(raw);
    if (raw === "") errors[fieldKey(f)] = "enter a value";
    else if (!Number.isFinite(n)) errors[fieldKey(f)] = "enter a number";
    else if (f.integer && !Number.isInteger(n)) errors[fieldKey(f)] = "enter a whole number";
    else if (n !== shownValue(f, stored[f.area][f.name])) draft[f.area][f.name] = f.scale ? Math.round(n * f.scale) : n;
  }
  return { draft: Object.keys(errors).length === 0 ? draft : null, errors };
}
