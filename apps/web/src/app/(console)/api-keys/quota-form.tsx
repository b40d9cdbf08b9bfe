"use client";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { ErrorNote } from "../../../components/ui.tsx";
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
      if (raw === "") continue;
      const n = Number(raw);
      if (!Number.isInteger(n) || n < 1) return setLocalError(`${f.label}: enter a whole number of at least 1, or leave it empty for no limit.`);
      next[f.name] = n;
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
      ) : null}
      <ErrorNote error={save.error} />
      <div className="form-row">
        {FIELDS.map((f) => (
          <div className="field" key={f.name}>
            <label htmlFor={`${id}-${f.name}`}>{f.label}</label>
            <input
              id={`${id}-${f.name}`}
              type="number"
              min={1}
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
