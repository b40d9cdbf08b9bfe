"use client";
import { ErrorNote } from "../../../components/ui.tsx";

/** One number field of a settings form; with a unit the label reads "Label (unit)". */
export interface NumericField<F extends string> {
  field: F;
  label: string;
  unit?: string;
  hint: string;
}

/**
 * A settings form's grid of number inputs, each with its error message or its hint. The input's id is
 * `${idPrefix}-${field}`, its message's `${idPrefix}-${field}-error`; the test ids use `testIdPrefix`
 * (the id prefix unless given), the input's only when `inputTestIds`. With `defaults` the hint ends
 * with the field's default.
 */
export function NumericFieldGrid<F extends string>({
  fields,
  values,
  defaults,
  shown,
  idPrefix,
  testIdPrefix = idPrefix,
  inputTestIds = true,
  disabled,
  onChange,
}: {
  fields: ReadonlyArray<NumericField<F>>;
  values: Readonly<Record<F, string>>;
  defaults?: Readonly<Record<F, number>>;
  shown: (field: F) => string | undefined;
  idPrefix: string;
  testIdPrefix?: string;
  inputTestIds?: boolean;
  disabled?: boolean;
  onChange: (field: F, value: string) => void;
}) {
  return (
    <div className="settings-grid">
      {fields.map(({ field, label, unit, hint }) => {
        const id = `${idPrefix}-${field}`;
        const error = shown(field);
        return (
          <div className="field" key={field}>
            <label htmlFor={id}>{unit === undefined ? label : `${label} (${unit})`}</label>
            <input
              id={id}
              inputMode="decimal"
              value={values[field]}
              disabled={disabled}
              aria-invalid={error ? true : undefined}
              aria-describedby={error ? `${id}-error` : undefined}
              onChange={(e) => onChange(field, e.target.value)}
              data-testid={inputTestIds ? `${testIdPrefix}-${field}` : undefined}
            />
            {error ? (
              <span className="field-error" id={`${id}-error`} data-testid={`${testIdPrefix}-${field}-error`}>
                {error}
              </span>
            ) : (
              <span className="hint">{defaults ? `${hint} Default ${defaults[field]}.` : hint}</span>
            )}
          </div>
        );
      })}
    </div>
  );
}

/**
 * Under a settings form: the note for an error no field shows, then (unless read only) the save button
 * and what the last save did. Test ids `${testIdPrefix}-save` and `${testIdPrefix}-saved`.
 */
export function SettingsFormFooter({
  error,
  errorTestId,
  readOnly,
  pending,
  saved,
  saveLabel,
  testIdPrefix,
}: {
  error: unknown;
  errorTestId?: string;
  readOnly: boolean;
  pending: boolean;
  saved: string | null;
  saveLabel: string;
  testIdPrefix: string;
}) {
  return (
    <>
      <ErrorNote error={error} testId={errorTestId} />
      {!readOnly ? (
        <div className="form-actions">
          <button type="submit" disabled={pending} data-testid={`${testIdPrefix}-save`}>
            {pending ? "Saving…" : saveLabel}
          </button>
          {saved ? (
            <span className="muted" role="status" data-testid={`${testIdPrefix}-saved`}>
              {saved}
            </span>
          ) : null}
        </div>
      ) : null}
    </>
  );
}
