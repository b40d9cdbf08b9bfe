"use client";
import { useState, type FormEvent } from "react";
import { fieldErrors } from "../../../lib/errors.ts";
import styles from "./migrations.module.css";

const pad = (n: number) => String(n).padStart(2, "0");

/** A Date as the value of a datetime-local input (local time, minutes). */
export function toLocalInput(d: Date): string {
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

function tomorrowAt(hour: number): Date {
  const d = new Date();
  d.setDate(d.getDate() + 1);
  d.setHours(hour, 0, 0, 0);
  return d;
}

/** Window form for one migration; times are the browser's local time, sent as instants. */
export function ScheduleForm({
  id,
  pending,
  error,
  onSubmit,
  onCancel,
}: {
  id: string;
  pending: boolean;
  error: unknown;
  onSubmit: (input: { id: string; windowStart: Date; windowEnd: Date }) => void;
  onCancel: () => void;
}) {
  const [start, setStart] = useState(() => toLocalInput(tomorrowAt(2)));
  const [end, setEnd] = useState(() => toLocalInput(tomorrowAt(4)));
  const [local, setLocal] = useState<Record<string, string>>({});
  const server = fieldErrors(error);
  const errors = { ...server, ...local };
  const submit = (e: FormEvent) => {
    e.preventDefault();
    const found: Record<string, string> = {};
    const s = new Date(start);
    const en = new Date(end);
    if (!start || Number.isNaN(s.getTime())) found.windowStart = "enter a start time";
    if (!end || Number.isNaN(en.getTime())) found.windowEnd = "enter an end time";
    else if (!found.windowStart && en <= s) found.windowEnd = "the window must end after it starts";
    setLocal(found);
    if (Object.keys(found).length > 0) return;
    onSubmit({ id, windowStart: s, windowEnd: en });
  };
  return (
    <form className={styles.inlineForm} onSubmit={submit} noValidate data-testid="schedule-form">
      <div className="field">
        <label htmlFor={`ws-${id}`}>Window start (local time)</label>
        <input
          id={`ws-${id}`}
          type="datetime-local"
          value={start}
          onChange={(e) => setStart(e.target.value)}
          aria-invalid={errors.windowStart ? true : undefined}
          data-testid="schedule-start"
        />
        {errors.windowStart ? (
          <span className="field-error" data-testid="schedule-start-error">
            {errors.windowStart}
          </span>
        ) : null}
      </div>
      <div className="field">
        <label htmlFor={`we-${id}`}>Window end</label>
        <input
          id={`we-${id}`}
          type="datetime-local"
          value={end}
          onChange={(e) => setEnd(e.target.value)}
          aria-invalid={errors.windowEnd ? true : undefined}
          data-testid="schedule-end"
        />
        {errors.windowEnd ? (
          <span className="field-error" data-testid="schedule-end-error">
            {errors.windowEnd}
          </span>
        ) : null}
      </div>
      <button type="submit" disabled={pending} data-testid="schedule-submit">
        {pending ? "Scheduling…" : "Schedule"}
      </button>
      <button type="button" className="secondary" onClick={onCancel}>
        Close
      </button>
    </form>
  );
}
