"use client";
import { useEffect, useRef } from "react";
import { errorMessage } from "../lib/errors.ts";

/** What the API's job status procedures answer. */
export interface JobStatusView {
  state: "waiting" | "active" | "completed" | "failed" | "unknown";
  stage: string | null;
  fraction: number;
  error: string | null;
  skipped: string | null;
  summary: string | null;
}

function ended(state: JobStatusView["state"] | undefined): boolean {
  return state === "completed" || state === "failed" || state === "unknown";
}

/**
 * A status query's `refetchInterval`: each second until the job has ended. A job that can no longer
 * be read (removed, or the id unknown) will not come back, so asking again would only repeat the error.
 */
export function pollUntilJobEnds(query: { state: { data?: { state: JobStatusView["state"] } | undefined; status: string } }): number | false {
  return query.state.status === "error" || ended(query.state.data?.state) ? false : 1_000;
}

/**
 * A run an operator queued, as its status query last saw it: queued, running, done with its short
 * outcome, or failed with why. `onEnded` fires once, when it ends, so the page can reload what it changed.
 */
export function JobStatusNote({
  label,
  status,
  error,
  testId,
  onEnded,
  onDismiss,
}: {
  label: string;
  status: JobStatusView | undefined;
  error: unknown;
  testId: string;
  /** May return a promise (a reload); nothing waits for it. */
  onEnded?: () => unknown;
  onDismiss: () => void;
}) {
  const state = status?.state;
  const fired = useRef(false);
  useEffect(() => {
    if (!fired.current && ended(state)) {
      fired.current = true;
      void onEnded?.();
    }
  }, [state, onEnded]);

  const dismiss = (
    <button type="button" className="link" onClick={onDismiss}>
      Dismiss
    </button>
  );
  // A job that can no longer be read is not still queued, whatever was last seen of it.
  if (error && !ended(state)) {
    return (
      <div className="alert alert-error" role="alert" data-testid={testId} data-state="error">
        {label}: {errorMessage(error)} {dismiss}
      </div>
    );
  }
  if (!status) return null;
  if (status.state === "failed") {
    return (
      <div className="alert alert-error" role="alert" data-testid={testId} data-state="failed">
        {label} failed: {status.error} {dismiss}
      </div>
    );
  }
  if (status.state === "completed" || status.state === "unknown") {
    const text =
      status.state === "unknown"
        ? `${label} is no longer queued.`
        : status.skipped
          ? `${label} skipped: ${status.skipped}.`
          : `${label} finished${status.summary ? `: ${status.summary}` : ""}.`;
    return (
      <div className={`alert ${status.state === "completed" && !status.skipped ? "alert-ok" : "alert-info"}`} role="status" data-testid={testId} data-state={status.skipped ? "skipped" : status.state}>
        {text} {dismiss}
      </div>
    );
  }
  // Jobs without stages report a bare share done: shown as such once there is some.
  const pct = `${Math.round(status.fraction * 100)}%`;
  const running = status.stage ? `${status.stage} (${pct})` : status.fraction > 0 ? `running (${pct} done)` : "running";
  return (
    <div className="alert alert-info" role="status" data-testid={testId} data-state={status.state}>
      {label} {status.state === "waiting" ? "queued" : running}…
    </div>
  );
}
