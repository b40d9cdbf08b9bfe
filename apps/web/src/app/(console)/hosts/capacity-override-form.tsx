"use client";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { ErrorNote } from "../../../components/ui.tsx";
import { fieldErrors } from "../../../lib/errors.ts";
import { useTRPC } from "../../../lib/trpc.ts";

const MAX_EVENTS_PER_SEC = 2_147_483_647;

/**
 * Sets or clears a host's capacity override (admins): the figure the analyzer and the capacity plan
 * use instead of the measured one, for a host whose measurement an operator knows better.
 */
export function CapacityOverrideForm({ hosts }: { hosts: ReadonlyArray<{ id: string; name: string; capacityOverrideEventsPerSec: number | null }> }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [hostId, setHostId] = useState("");
  const [value, setValue] = useState("");
  const [localError, setLocalError] = useState<string | null>(null);
  const save = useMutation(
    trpc.hosts.setCapacityOverride.mutationOptions({
      onSuccess: async () => {
        setValue("");
        await queryClient.invalidateQueries({ queryKey: trpc.hosts.list.queryKey() });
      },
    }),
  );
  const chosen = hostId || hosts[0]?.id || "";
  const serverErrors = fieldErrors(save.error);
  const error = localError ?? serverErrors.eventsPerSec ?? null;

  const submit = (e: FormEvent) => {
    e.preventDefault();
    const n = Number(value);
    if (!Number.isInteger(n) || n < 1 || n > MAX_EVENTS_PER_SEC) {
      setLocalError(`Capacity must be a whole number of events/s from 1 to ${MAX_EVENTS_PER_SEC.toLocaleString("en-US")}`);
      return;
    }
    setLocalError(null);
    save.mutate({ hostId: chosen, eventsPerSec: n });
  };
  const current = hosts.find((h) => h.id === chosen)?.capacityOverrideEventsPerSec ?? null;

  return (
    <form className="stack" onSubmit={submit} noValidate data-testid="capacity-override-form">
      {save.error && Object.keys(serverErrors).length === 0 ? <ErrorNote error={save.error} testId="capacity-override-error" /> : null}
      {save.isSuccess ? (
        <div className="alert alert-ok" role="status" data-testid="capacity-override-saved">
          {save.data.host.name} is planned on {save.data.host.effectiveCapacityEventsPerSec.toLocaleString("en-US")} events/s ({save.data.host.capacitySource}).
        </div>
      ) : null}
      <div className="form-row">
        <div className="field">
          <label htmlFor="override-host">Host</label>
          <select id="override-host" value={chosen} onChange={(e) => setHostId(e.target.value)}>
            {hosts.map((h) => (
              <option key={h.id} value={h.id}>
                {h.name}
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor="override-eps">Capacity override (events/s)</label>
          <input id="override-eps" type="number" min={1} value={value} onChange={(e) => setValue(e.target.value)} aria-invalid={error ? true : undefined} />
          {error ? <span className="field-error">{error}</span> : <span className="hint">{current === null ? "none set" : `now ${current.toLocaleString("en-US")}`}</span>}
        </div>
      </div>
      <div className="form-row">
        <button type="submit" disabled={save.isPending || !chosen}>
          Set override
        </button>
        <button type="button" className="secondary" disabled={save.isPending || !chosen || current === null} onClick={() => save.mutate({ hostId: chosen, eventsPerSec: null })}>
          Clear override
        </button>
      </div>
    </form>
  );
}
