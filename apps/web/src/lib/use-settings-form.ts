"use client";
import { useState, type FormEvent } from "react";

/** "Saved 2 changes" / "Saved; nothing changed.", with what the change applies to appended. */
export function savedMessage(changed: number, applies?: (one: boolean) => string): string {
  if (changed === 0) return "Saved; nothing changed.";
  return `Saved ${changed} change${changed === 1 ? "" : "s"}${applies ? `; ${applies(changed === 1)}` : ""}.`;
}

/**
 * The state every settings form keeps: the fields as typed, the client-side errors, and the "saved"
 * note. `submit(save)` validates with the form's parser (the server's schema) and calls `save`
 * only with a valid value; `stored` takes the settings the server kept after a save.
 */
export function useSettingsForm<S, V, E extends object>(opts: {
  current: S;
  toValues: (s: S) => V;
  parse: (v: V) => { value: S | null; errors: E };
  readOnly: boolean;
}) {
  const [values, setValues] = useState<V>(() => opts.toValues(opts.current));
  const [errors, setErrors] = useState<Partial<E>>({});
  const [saved, setSaved] = useState<string | null>(null);
  return {
    values,
    errors,
    saved,
    edit: (change: (old: V) => V) => {
      setSaved(null);
      setValues(change);
    },
    stored: (settings: S, message: string) => {
      setValues(opts.toValues(settings));
      setErrors({});
      setSaved(message);
    },
    submit: (save: (value: S) => void) => {
      return (e: FormEvent) => {
        e.preventDefault();
        if (opts.readOnly) return;
        const { value, errors: found } = opts.parse(values);
        setErrors(found);
        setSaved(null);
        if (value) save(value);
      };
    },
  };
}
