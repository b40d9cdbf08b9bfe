"use client";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useCallback, useState } from "react";
import { JobStatusNote, pollUntilJobEnds } from "../../../components/job-status.tsx";
import { ErrorNote } from "../../../components/ui.tsx";
import { useCan } from "../../../components/user-context.tsx";
import { formatPct } from "../../../lib/format.ts";
import { useTRPC } from "../../../lib/trpc.ts";
import styles from "./models.module.css";
import { versionLabel } from "./types.ts";

const KINDS = [
  { value: "all", label: "Holt-Winters and LSTM" },
  { value: "holt_winters", label: "Holt-Winters only" },
  { value: "lstm", label: "LSTM only" },
  { value: "selection", label: "Best model per series" },
] as const;
type Kind = (typeof KINDS)[number]["value"];

function ProgressBar({ fraction, label, testId }: { fraction: number; label: string; testId?: string }) {
  const pct = Math.max(0, Math.min(1, fraction));
  return (
    <div className="bar-with-label">
      <div className="bar" role="progressbar" aria-valuemin={0} aria-valuemax={100} aria-valuenow={Math.round(pct * 100)} aria-label={label} data-testid={testId}>
        <div className="bar-fill" style={{ width: `${pct * 100}%`, background: "var(--accent)" }} />
      </div>
      <span>{formatPct(pct)}</span>
    </div>
  );
}

/**
 * Retrain button and live progress: the rows the worker is training now (any trigger) and the job
 * this page queued until its rows appear.
 */
export function TrainingPanel({ onFinished }: { onFinished: () => void }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const canOperate = useCan("operator");
  const [kind, setKind] = useState<Kind>("all");
  const [jobId, setJobId] = useState<string | null>(null);
  const [message, setMessage] = useState<string | null>(null);
  const status = useQuery(
    trpc.models.status.queryOptions(jobId ? { jobId } : {}, {
      // Each second while the queued job or any version is training; calmer when nothing is.
      refetchInterval: (q) =>
        (jobId !== null && pollUntilJobEnds({ state: { data: q.state.data?.job ?? undefined, status: q.state.status } })) ||
        ((q.state.data?.training.length ?? 0) > 0 ? 1_000 : 5_000),
      placeholderData: (prev) => prev,
    }),
  );
  const retrain = useMutation(
    trpc.models.retrain.mutationOptions({
      onMutate: () => setMessage(null),
      onSuccess: async (res) => {
        setJobId(res.jobId || null);
        setMessage(res.message);
        await queryClient.invalidateQueries({ queryKey: trpc.models.status.queryKey() });
      },
    }),
  );
  // The answer for this job, not one still shown from before it was queued.
  const job = jobId !== null && !status.isPlaceholderData ? (status.data?.job ?? undefined) : undefined;
  const training = status.data?.training ?? [];
  const jobRows = training.filter((v) => jobId !== null && v.jobId === jobId);
  const jobEnded = job !== undefined && job.state !== "waiting" && job.state !== "active";
  const ended = useCallback(() => {
    // The note tells how it went; the queued message is stale by now. Refresh the versions.
    setMessage(null);
    onFinished();
  }, [onFinished]);
  const waiting = jobId !== null && !jobEnded && jobRows.length === 0;

  return (
    <section className="card" aria-labelledby="training-h" data-testid="training-panel">
      <div className="card-header">
        <h2 id="training-h">Training</h2>
        {canOperate ? (
          <div className="toolbar">
            <select aria-label="Models to train" value={kind} onChange={(e) => setKind(e.target.value as Kind)} data-testid="retrain-kind" style={{ width: 220 }}>
              {KINDS.map((k) => (
                <option key={k.value} value={k.value}>
                  {k.label}
                </option>
              ))}
            </select>
            <button type="button" onClick={() => retrain.mutate({ kind })} disabled={retrain.isPending || waiting} data-testid="retrain">
              {retrain.isPending ? "Queuing…" : "Retrain now"}
            </button>
          </div>
        ) : null}
      </div>
      <ErrorNote error={retrain.error ?? status.error} testId="training-error" />
      {message ? (
        <div className="alert alert-info" role="status" data-testid="training-message">
          {message}
        </div>
      ) : null}
      {jobId !== null ? (
        // A failed status query shows once, above; the note keeps what it last saw of the job.
        <JobStatusNote key={jobId} label="Training" status={job} error={null} testId="training-status" onEnded={ended} onDismiss={() => setJobId(null)} />
      ) : null}
      {waiting ? (
        <div className={styles.trainingRow} data-testid="training-progress" data-state={job?.state ?? "waiting"}>
          <span>Job {jobId}</span>
          <ProgressBar fraction={job?.fraction ?? 0} label="queued training" />
          <span className={styles.note}>{job?.state === "active" ? "starting" : "waiting for a worker"}</span>
        </div>
      ) : null}
      {training.length === 0 && !waiting ? (
        <p className="muted" style={{ margin: 0 }}>
          No training is running. Models retrain on a schedule; every version is scored on a held-out window and promoted only if it beats what serves there (the
          default per-series selection while no version does).
        </p>
      ) : null}
      {training.map((v) => (
        <div key={v.id} className={styles.trainingRow} data-testid="training-progress" data-version-id={v.id} data-kind={v.kind}>
          <span>
            <b>{versionLabel(v)}</b> <span className="muted">({v.trigger})</span>
          </span>
          <ProgressBar fraction={v.progress} label={`${versionLabel(v)} training progress`} testId="training-bar" />
          <span className={styles.note} title={v.progressNote ?? undefined} data-testid="training-note">
            {v.progressNote ?? ""}
          </span>
        </div>
      ))}
    </section>
  );
}
