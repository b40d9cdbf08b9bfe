"use client";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { errorMessage } from "../../../lib/errors.ts";
import { useTRPC } from "../../../lib/trpc.ts";

export interface Quota {
  produceEventsPerSec: number | null;
  produceBytesPerSec: number | null;
  readEventsPerSec: number | null;
  readBytesPerSec: number | null;
}

const FIELDS: Array<{ name: keyof Quota; label: string }> = [
  { name: "produceEventsPerSec", label: "Produce events/s" },
  { name: "produceBytesPerSec", label: "Produce bytes/s" },
  { name: "readEventsPerSec", label: "Read events/s" },
  { name: "readBytesPerSec", label: "Read bytes/s" },
];

/** The server's bound (apikeys.setQuota): limits are stored as 32-bit integers. */
const MAX_LIMIT = 2_147_483_647;
const LABELS = Object.fromEntries(FIELDS.map((f) => [f.name, f.label]));

/** Why a typed limit cannot be saved, in the field's words; null when it can (or is empty: unlimited). */
export function quotaProblem(label: string, raw: string): string | null {
  const n = Number(raw.trim());
  if (raw.trim() === "" || (Number.isInteger(n) && n >= 1 && n <= MAX_LIMIT)) return null;
  return `${label} must be a whole number from 1 to ${MAX_LIMIT.toLocaleString("en-US")}, or empty for no limit.`;
}

/** A key's limits in words, e.g. "produce 100 events/s"; "unlimited" when none is set. */
export function describeQuota(q: Quota): string {
  const parts = FIELDS.filter((f) => q[f.name] !== null).map((f) => `${f.label.toLowerCase()} ${q[f.name]!.toLocaleString()}`);
  return parts.length ? parts.join(", ") : "unlimited";
}

export function QuotaForm({ id, quota, onDone }: { id: string; quota: Quota; onDone: () => void }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [values, setValues] = useState<Record<keyof Quota, string>>({
    produceEventsPerSec: quota.produceEventsPerSec?.toString() ?? "",
    produceBytesPerSec: quota.produceBytesPerSec?.toString() ?? "",
    readEventsPerSec: quota.readEventsPerSec?.toString() ?? "",
    readBytesPerSec: quota.readBytesPerSec?.toString() ?? "",
  });
  const [localError, setLocalError] = useState<string | null>(null);
  const save = useMutation(
    trpc.apikeys.setQuota.mutationOptions({
      onSuccess: async () => {
        await queryClient.invalidateQueries({ queryKey: trpc.apikeys.list.queryKey() });
        onDone();
      },
    }),
  );
  const submit = (e: FormEvent) => {
    e.preventDefault();
    const next: Quota = { produceEventsPerSec: null, produceBytesPerSec: null, readEventsPerSec: null, readBytesPerSec: null };
    for (const f of FIELDS) {
      const raw = values[f.name].trim();
      const problem = quotaProblem(f.label, raw);
      if (problem) return setLocalError(problem);
      if (raw !== "") next[f.name] = Number(raw);
    }
    setLocalError(null);
    save.mutate({ id, quota: next });
  };
  return (
    <form className="stack" onSubmit={submit} noValidate data-testid="api-key-quota-form">
      {localError ? (
        <div className="alert alert-error" role="alert">
          {localError}
        </div>
      ) : save.error ? (
        <div className="alert alert-error" role="alert" data-testid="error">
          {errorMessage(save.error, LABELS)}
        </div>
      ) : null}
      <div className="form-row">
        {FIELDS.map((f) => (
          <div className="field" key={f.name}>
            <label htmlFor={`${id}-${f.name}`}>{f.label}</label>
            <input
              id={`${id}-${f.name}`}
              type="number"
              min={1}
              max={MAX_LIMIT}
              placeholder="unlimited"
              value={values[f.name]}
              onChange={(e) => setValues((v) => ({ ...v, [f.name]: e.target.value }))}
              data-testid={`quota-${f.name}`}
            />
          </div>
        ))}
      </div>
      <div>
        <button type="submit" className="small" disabled={save.isPending} data-testid="save-quota">
          {save.isPending ? "Saving…" : "Save limits"}
        </button>{" "}
        <button type="button" className="small secondary" onClick={onDone}>
          Cancel
        </button>
      </div>
    </form>
  );
}
