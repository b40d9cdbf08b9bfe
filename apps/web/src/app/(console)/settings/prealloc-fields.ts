import { preallocSettingsSchema, type PreallocSettings } from "@shardcast/core/prealloc/settings";
import { parseSettingsForm, plainSettingsMessage } from "../../../lib/settings-form.ts";
import type { NumericField } from "./numeric-fields.tsx";

export type PreallocField = keyof PreallocSettings;
export type PreallocValues = Record<PreallocField, string>;
export type PreallocErrors = Partial<Record<PreallocField, string>>;

// Aggressiveness first: it is the switch; the rest only matter once it is above 0.
export const PREALLOC_FIELDS: ReadonlyArray<NumericField<PreallocField>> = [
  { field: "aggressiveness", label: "Aggressiveness", unit: "0–1", hint: "0 = reactive only: nothing is prepared. Higher prepares at lower probabilities and smaller savings per cost." },
  { field: "horizonSec", label: "Horizon", unit: "s", hint: "How far ahead a surge is predicted, and how long a prepared shardlet waits for it." },
  { field: "graceSec", label: "Grace", unit: "s", hint: "A prepared shardlet that saw no surge is kept this long after the horizon, then merged back." },
  { field: "surgeFactor", label: "Surge factor", unit: "× usual", hint: "A step counts as a surge at this multiple of the shardlet's usual writes per step." },
  { field: "minSurgeEvents", label: "Minimum surge events", unit: "events/step", hint: "…and with at least this many events in the step, so a quiet shardlet's blip is no surge." },
  { field: "stepSec", label: "Step", unit: "s", hint: "Step of the surge detector; horizon plus grace must cover one." },
  { field: "minProbability", label: "Probability floor", unit: "0.01–1", hint: "Lowest probability a candidate is prepared at; raised as aggressiveness goes down." },
  { field: "maxConcurrent", label: "Concurrent pre-allocations", unit: "cluster-wide", hint: "Prepared at once; each holds its shardlet's op-lock while it is prepared." },
];

export function toPreallocValues(s: PreallocSettings): PreallocValues {
  return Object.fromEntries(PREALLOC_FIELDS.map(({ field }) => [field, String(s[field])])) as PreallocValues;
}

/** Form strings -> settings with the schema the API validates with; messages in plain words. */
export function parsePreallocForm(v: PreallocValues): { value: PreallocSettings | null; errors: PreallocErrors } {
  const { value, errors } = parseSettingsForm(
    preallocSettingsSchema,
    {},
    PREALLOC_FIELDS.map((f) => f.field),
    v,
  );
  return { value, errors: plainErrors(errors) };
}

export function plainErrors(errors: Readonly<Record<string, string | undefined>>): PreallocErrors {
  const out: PreallocErrors = {};
  for (const { field } of PREALLOC_FIELDS) {
    const message = errors[field];
    if (message) out[field] = plainSettingsMessage(message);
  }
  return out;
}
