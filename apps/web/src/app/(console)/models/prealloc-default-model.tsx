"use client";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useCallback, useState } from "react";
import { JobStatusNote, pollUntilJobEnds } from "../../../components/job-status.tsx";
import { ErrorNote } from "../../../components/ui.tsx";
import { useCan } from "../../../components/user-context.tsx";
import { formatAgo, formatDateTime } from "../../../lib/format.ts";
import { pctOrDash, type PreallocOverview } from "../../../lib/prealloc.ts";
import { useTRPC } from "../../../lib/trpc.ts";

type Training = NonNullable<PreallocOverview["defaultModel"]>;

const OUTCOME_LABEL: Record<Training["streams"][number]["outcome"], { text: string; badge: string }> = {
  installed: { text: "installed", badge: "badge-ok" },
  kept: { text: "edges keep their own", badge: "badge-accent" },
  worse: { text: "not better: not installed", badge: "badge-warn" },
  skipped: { text: "too little history", badge: "badge-warn" },
};

/**
 * The cold-start model edges start from when they have no model of their own: trained by the
 * worker on each stream's stored history and scored on the held-out last quarter against the
 * type-blind rate model. Operators can train it now; the job's progress is followed here.
 */
export function PreallocDefaultModel({ training, onFinished }: { training: Training | null; onFinished: () => void }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const canOperate = useCan("operator");
  const [jobId, setJobId] = useState<string | null>(null);
  const [message, setMessage] = useState<string | null>(null);
  const train = useMutation(
    trpc.prealloc.train.mutationOptions({
      onMutate: () => setMessage(null),
      onSuccess: (res) => {
        setJobId(res.jobId || null);
        setMessage(res.message);
      },
    }),
  );
  const status = useQuery(trpc.prealloc.trainStatus.queryOptions({ jobId: jobId ?? "" }, { enabled: jobId !== null, refetchInterval: pollUntilJobEnds }));
  const job = jobId !== null ? status.data : undefined;
  const running = jobId !== null && !status.error && (job === undefined || job.state === "waiting" || job.state === "active");
  const ended = useCallback(async () => {
    // The note tells how it went; the queued message is stale by now.
    setMessage(null);
    onFinished();
    await queryClient.invalidateQueries({ queryKey: trpc.prealloc.overview.queryKey() });
  }, [onFinished, queryClient, trpc]);

  return (
    <div data-testid="prealloc-default-model">
      <div className="card-header" style={{ marginTop: 14 }}>
        <h3 style={{ margin: 0 }}>Cold-start model from stored history</h3>
        {canOperate ? (
          <button type="button" disabled={train.isPending || running} onClick={() => train.mutate({})} data-testid="prealloc-train">
            {running ? "Training…" : "Train on history now"}
          </button>
        ) : null}
      </div>
      <ErrorNote error={train.error} />
      {message ? (
        <p className="muted" role="status" data-testid="prealloc-train-message">
          {message}
        </p>
      ) : null}
      {jobId !== null ? (
        <JobStatusNote
          key={jobId}
          label="Training"
          status={status.data}
          error={status.error}
          testId="prealloc-train-status"
          onEnded={ended}
          onDismiss={() => setJobId(null)}
        />
      ) : null}
      {training ? (
        <>
          <p className="muted" style={{ margin: "4px 0" }} title={formatDateTime(training.at)}>
            Trained {formatAgo(training.at)}
            {training.actor ? ` by ${training.actor}` : ""}. Held-out: the last quarter of each stream&apos;s history, against a model that only counts writes.
          </p>
          <table className="table" data-testid="prealloc-default-model-table">
            <thead>
              <tr>
                <th>Stream</th>
                <th>Events</th>
                <th>Held-out precision / recall</th>
                <th>Type-blind precision / recall</th>
                <th>Outcome</th>
              </tr>
            </thead>
            <tbody>
              {training.streams.map((s) => (
                <tr key={s.streamId} data-testid="prealloc-default-model-row">
                  <td>{s.stream}</td>
                  <td>{s.events.toLocaleString()}</td>
                  <td>{s.heldOut ? `${pctOrDash(s.heldOut.precision)} / ${pctOrDash(s.heldOut.recall)}` : "—"}</td>
                  <td>{s.baseline ? `${pctOrDash(s.baseline.precision)} / ${pctOrDash(s.baseline.recall)}` : "—"}</td>
                  <td title={s.note}>
                    <span className={`badge ${OUTCOME_LABEL[s.outcome].badge}`}>{OUTCOME_LABEL[s.outcome].text}</span>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      ) : (
        <p className="muted" data-testid="prealloc-default-model-none">
          Not trained yet: the worker trains it on stored history five minutes after it starts and then hourly. Until then, edges start from a conservative prior
          that predicts nothing and learn online.
        </p>
      )}
    </div>
  );
}
