"use client";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { ErrorNote } from "../../../components/ui.tsx";
import { fieldErrors } from "../../../lib/errors.ts";
import { useTRPC } from "../../../lib/trpc.ts";

const MIB = 1024 * 1024;
/** The server takes up to 2^53 - 1 bytes (hosts.register): 8 PiB less one byte, so this many whole MiB. */
const MAX_CAPACITY_MIB = Math.floor(Number.MAX_SAFE_INTEGER / MIB);

/** Why a typed capacity cannot be sent, in the field's words and unit; null when it can (or is empty: the default). */
export function capacityProblem(raw: string): string | null {
  if (raw.trim() === "") return null;
  const n = Number(raw);
  if (Number.isInteger(n) && n >= 1 && n <= MAX_CAPACITY_MIB) return null;
  return `Capacity must be a whole number of MiB from 1 to ${MAX_CAPACITY_MIB.toLocaleString("en-US")} (8 PiB)`;
}

export function RegisterHostForm() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [name, setName] = useState("");
  const [dsn, setDsn] = useState("");
  const [capacityMb, setCapacityMb] = useState("");
  const [localErrors, setLocalErrors] = useState<Record<string, string>>({});
  const register = useMutation(
    trpc.hosts.register.mutationOptions({
      onSuccess: async () => {
        setName("");
        setDsn("");
        setCapacityMb("");
        await queryClient.invalidateQueries({ queryKey: trpc.hosts.list.queryKey() });
      },
    }),
  );
  const serverErrors = fieldErrors(register.error);
  const errors = { ...serverErrors, ...localErrors };

  const submit = (e: FormEvent) => {
    e.preventDefault();
    const found: Record<string, string> = {};
    if (!/^[a-z0-9][a-z0-9._-]*$/.test(name)) found.name = "use a-z, 0-9, '.', '_' and '-', starting with a letter or digit";
    if (!/^postgres(ql)?:\/\/\S+$/.test(dsn.trim())) found.dsn = "DSN must be a postgres:// or postgresql:// URL";
    const capacityError = capacityProblem(capacityMb);
    if (capacityError) found.capacityBytes = capacityError;
    const cap = capacityMb.trim() === "" ? undefined : Number(capacityMb);
    setLocalErrors(found);
    if (Object.keys(found).length > 0) return;
    register.mutate({ name, dsn: dsn.trim(), ...(cap !== undefined ? { capacityBytes: cap * MIB } : {}) });
  };

  return (
    <form className="stack" onSubmit={submit} noValidate data-testid="register-host-form">
      {register.error && Object.keys(serverErrors).length === 0 ? <ErrorNote error={register.error} testId="register-host-error" /> : null}
      {register.isSuccess ? (
        <div className="alert alert-ok" role="status">
          Host {register.data.host.name} registered and its schema applied.
        </div>
      ) : null}
      <div className="form-row">
        <div className="field">
          <label htmlFor="host-name">Name</label>
          <input id="host-name" type="text" value={name} onChange={(e) => setName(e.target.value)} aria-invalid={errors.name ? true : undefined} />
          {errors.name ? <span className="field-error">{errors.name}</span> : <span className="hint">e.g. host-4</span>}
        </div>
        <div className="field" style={{ flex: 3 }}>
          <label htmlFor="host-dsn">DSN</label>
          <input
            id="host-dsn"
            type="password"
            autoComplete="off"
            placeholder="postgres://user:password@db-host:5432/shardcast_host4"
            value={dsn}
            onChange={(e) => setDsn(e.target.value)}
            aria-invalid={errors.dsn ? true : undefined}
          />
          {errors.dsn ? <span className="field-error">{errors.dsn}</span> : <span className="hint">Stored as a secret; shown redacted afterwards.</span>}
        </div>
        <div className="field">
          <label htmlFor="host-capacity">Capacity (MiB)</label>
          <input
            id="host-capacity"
            type="number"
            min={1}
            max={MAX_CAPACITY_MIB}
            placeholder="default"
            value={capacityMb}
            onChange={(e) => setCapacityMb(e.target.value)}
            aria-invalid={errors.capacityBytes ? true : undefined}
          />
          {errors.capacityBytes ? <span className="field-error">{errors.capacityBytes}</span> : null}
        </div>
      </div>
      <div>
        <button type="submit" disabled={register.isPending}>
          {register.isPending ? "Registering…" : "Register host"}
        </button>
      </div>
    </form>
  );
}
