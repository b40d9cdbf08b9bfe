"use client";
import type { CSSProperties } from "react";

export interface Choice {
  value: string;
  label: string;
}

/** The options of a select: the empty choice first when there is one ("All streams", "Choose a host"). */
export function SelectOptions({ items, placeholder }: { items: readonly Choice[]; placeholder?: string }) {
  return (
    <>
      {placeholder !== undefined ? <option value="">{placeholder}</option> : null}
      {items.map((c) => (
        <option key={c.value} value={c.value}>
          {c.label}
        </option>
      ))}
    </>
  );
}

/** Streams and hosts are picked by id and shown by name. */
export const byName = (list: readonly { id: string; name: string }[] | undefined): Choice[] => (list ?? []).map((x) => ({ value: x.id, label: x.name }));

/**
 * A labelled select in a `.field`; `error` is shown under it and marks it invalid. Its value
 * reaches `onChange` as the string the option carries.
 */
export function SelectField({
  id,
  label,
  value,
  onChange,
  items,
  placeholder,
  testId,
  style,
  disabled,
  error,
}: {
  id: string;
  label: string;
  value: string;
  onChange: (value: string) => void;
  items: readonly Choice[];
  placeholder?: string;
  testId: string;
  style?: CSSProperties;
  disabled?: boolean;
  error?: string;
}) {
  return (
    <div className="field" style={style}>
      <label htmlFor={id}>{label}</label>
      <select id={id} value={value} onChange={(e) => onChange(e.target.value)} disabled={disabled} aria-invalid={error ? true : undefined} data-testid={testId}>
        <SelectOptions items={items} placeholder={placeholder} />
      </select>
      {error ? <span className="field-error">{error}</span> : null}
    </div>
  );
}

/**
 * A labelled input in a `.field`; `error` is shown under it (and marks it invalid), else `hint`.
 * The id doubles as the test id, as the console's forms name them.
 */
export function InputField({
  id,
  label,
  value,
  onChange,
  type = "text",
  autoComplete,
  error,
  hint,
}: {
  id: string;
  label: string;
  value: string;
  onChange: (value: string) => void;
  type?: "text" | "email" | "password";
  autoComplete?: string;
  error?: string | null | undefined;
  hint?: string;
}) {
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      <input id={id} type={type} autoComplete={autoComplete} value={value} onChange={(e) => onChange(e.target.value)} aria-invalid={error ? true : undefined} data-testid={id} />
      {error ? <span className="field-error">{error}</span> : hint ? <span className="hint">{hint}</span> : null}
    </div>
  );
}
