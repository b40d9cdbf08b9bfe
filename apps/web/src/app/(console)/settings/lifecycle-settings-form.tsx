"use client";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useState, type FormEvent, type ReactNode } from "react";
import { lifecycleSettingsSchema, type LifecycleSettings } from "@shardcast/core/lifecycle/settings";
import { ErrorNote, Notice } from "../../../components/ui.tsx";
import { fieldErrors } from "../../../lib/errors.ts";
import { formatBytes, formatNumber } from "../../../lib/format.ts";
import { FIELD_LABELS, KIB, MIB, type LifecycleField } from "../../../lib/lifecycle-fields.ts";
import { fromForm, parseNumber, sameSettings, toForm, UNIT_BYTES, type Errors, type FormValues, type NumberField, type Unit } from "../../../lib/lifecycle-form.ts";
import { useTRPC } from "../../../lib/trpc.ts";

const PRESETS: Array<{ label: string; bytes: number }> = [
  { label: "64 KiB", bytes: 64 * KIB },
  { label: "1 MiB", bytes: MIB },
  { label: "10 MiB", bytes: 10 * MIB },
];

// The server's bounds, read from the schema it checks with, so the two cannot drift.
const CAPACITY = lifecycleSettingsSchema.shape.initialCapacityBytes.unwrap();

/**
 * The capacity's bounds in the unit it is typed in. The schema would say "at most 1 GiB" of a value
 * typed as 999999999999999 MiB, or, past 2^53 bytes, that it is not an integer.
 */
export function capacityProblem(raw: string, unit: Unit): string | null {
  const n = parseNumber(raw);
  const min = CAPACITY.minValue ?? 0;
  const max = CAPACITY.maxValue ?? Number.MAX_SAFE_INTEGER;
  if (typeof n === "string") return null;
  const bytes = Math.round(n * UNIT_BYTES[unit]);
  if (bytes >= min && bytes <= max) return null;
  return `${FIELD_LABELS.initialCapacityBytes} must be from ${formatBytes(min)} to ${formatBytes(max)}, that is at most ${formatNumber(max / UNIT_BYTES[unit])} ${unit}`;
}

export function LifecycleSettingsForm({ current, defaults, readOnly }: { current: LifecycleSettings; defaults: LifecycleSettings; readOnly: boolean }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [values, setValues] = useState<FormValues>(() => toForm(current));
  const [errors, setErrors] = useState<Errors>({});
  const [saved, setSaved] = useState<string | null>(null);
  const update = useMutation(
    trpc.settings.update.mutationOptions({
      onSuccess: async (res) => {
        setValues(toForm(res.lifecycle));
        setErrors({});
        setSaved(
          res.changed.length === 0
            ? "Saved; nothing changed."
            : `Saved ${res.changed.length} change${res.changed.length === 1 ? "" : "s"}. The worker applies them on its next scan, without a restart.`,
        );
        await Promise.all([
          queryClient.invalidateQueries({ queryKey: trpc.settings.get.queryKey() }),
          queryClient.invalidateQueries({ queryKey: trpc.settings.audit.queryKey() }),
        ]);
      },
    }),
  );
  const serverErrors = fieldErrors(update.error) as Errors;
  const shown = (f: LifecycleField) => errors[f] ?? serverErrors[f];

  const parsed = fromForm(values);
  const dirty = parsed.value === null || !sameSettings(parsed.value, current);

  const set = <K extends keyof FormValues>(k: K, v: FormValues[K]) => {
    setSaved(null);
    setValues((old) => ({ ...old, [k]: v }));
  };
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (readOnly) return;
    const { value, errors: found } = fromForm(values);
    const capacity = capacityProblem(values.capacity, values.capacityUnit);
    if (capacity) found.initialCapacityBytes = capacity;
    setErrors(found);
    setSaved(null);
    if (!value || capacity) return;
    update.mutate(value);
  };

  const errorOf = (f: LifecycleField, hint?: ReactNode) => {
    const message = shown(f);
    if (message) {
      return (
        <span className="field-error" id={`lc-${f}-error`} data-testid={`settings-${f}-error`}>
          {message}
        </span>
      );
    }
    return hint ? <span className="hint">{hint}</span> : null;
  };
  const aria = (f: LifecycleField) => ({
    "aria-invalid": shown(f) ? true : undefined,
    "aria-describedby": shown(f) ? `lc-${f}-error` : undefined,
  });
  const numberField = (f: NumberField, hint: ReactNode, step: string) => (
    <div className="field">
      <label htmlFor={`lc-${f}`}>{FIELD_LABELS[f]}</label>
      <input
        id={`lc-${f}`}
        type="number"
        step={step}
        inputMode="decimal"
        value={values[f]}
        onChange={(e) => set(f, e.target.value)}
        data-testid={`settings-${f}`}
        {...aria(f)}
      />
      {errorOf(f, hint)}
    </div>
  );

  const capacityNumber = parseNumber(values.capacity);
  const capacityBytes = typeof capacityNumber === "number" ? Math.round(capacityNumber * UNIT_BYTES[values.capacityUnit]) : undefined;
  return (
    <form className="stack" onSubmit={submit} noValidate data-testid="settings-form" aria-readonly={readOnly || undefined}>
      {update.error && Object.keys(serverErrors).length === 0 ? <ErrorNote error={update.error} testId="settings-error" /> : null}
      <Notice message={saved} testId="settings-saved" />
      <fieldset className="plain" disabled={readOnly || update.isPending}>
        <label className="checkbox">
          <input type="checkbox" checked={values.enabled} onChange={(e) => set("enabled", e.target.checked)} data-testid="settings-enabled" />
          {FIELD_LABELS.enabled} <span className="muted">(manual split and merge work either way)</span>
        </label>
        <div className="settings-grid">
          <div className="field">
            <label htmlFor="lc-capacity">{FIELD_LABELS.initialCapacityBytes}</label>
            <div className="input-with-unit">
              <input
                id="lc-capacity"
                type="number"
                step="any"
                min={0}
                value={values.capacity}
                onChange={(e) => set("capacity", e.target.value)}
                data-testid="settings-capacity"
                {...aria("initialCapacityBytes")}
              />
              <select
                aria-label="Capacity unit"
                value={values.capacityUnit}
                onChange={(e) => set("capacityUnit", e.target.value as Unit)}
                data-testid="settings-capacity-unit"
              >
                <option value="KiB">KiB</option>
                <option value="MiB">MiB</option>
              </select>
            </div>
            <div className="presets" hidden={readOnly}>
              {PRESETS.map((p) => (
                <button
                  key={p.label}
                  type="button"
                  className="secondary small"
                  onClick={() => {
                    const form = toForm({ ...current, initialCapacityBytes: p.bytes });
                    setSaved(null);
                    setValues((old) => ({ ...old, capacity: form.capacity, capacityUnit: form.capacityUnit }));
                  }}
                  title={`${formatNumber(p.bytes)} bytes`}
                  data-testid={`settings-capacity-preset-${p.label.replace(" ", "")}`}
                >
                  {p.label}
                </button>
              ))}
            </div>
            {errorOf(
              "initialCapacityBytes",
              <>
                for new streams and for the shardlets a split or merge creates
                {capacityBytes !== undefined ? ` (${formatNumber(capacityBytes)} bytes)` : ""}
              </>,
            )}
          </div>
          {numberField("splitThreshold", <>fullness (size / capacity) that triggers a split; default {defaults.splitThreshold}</>, "0.05")}
          {numberField("splitWriteRate", <>events/s that trigger a split whatever the size; default {formatNumber(defaults.splitWriteRate)}</>, "1")}
          {numberField("mergeThreshold", <>siblings below this fullness may merge; under half the split threshold</>, "0.05")}
          {numberField("mergeWriteRate", <>…and below this many events/s each; default {defaults.mergeWriteRate}</>, "1")}
          {numberField("minShardletWidth", <>no split makes a range narrower than this many hashes</>, "1")}
          {numberField("maxShardletsPerStream", <>splitting stops at this many live shardlets per stream</>, "1")}
        </div>
      </fieldset>
      {readOnly ? null : (
        <div className="form-actions">
          <button type="submit" disabled={update.isPending || !dirty} data-testid="settings-submit">
            {update.isPending ? "Saving…" : "Save settings"}
          </button>
          <button
            type="button"
            className="secondary"
            disabled={update.isPending || !dirty}
            onClick={() => {
              setValues(toForm(current));
              setErrors({});
              update.reset();
            }}
            data-testid="settings-reset"
          >
            Discard changes
          </button>
          <button
            type="button"
            className="link"
            disabled={update.isPending}
            onClick={() => {
              setValues(toForm(defaults));
              setErrors({});
            }}
            data-testid="settings-defaults"
          >
            Fill in the defaults
          </button>
          {!dirty ? <span className="muted">Stored: {formatBytes(current.initialCapacityBytes)} initial capacity, split at {current.splitThreshold}.</span> : null}
        </div>
      )}
    </form>
  );
}
