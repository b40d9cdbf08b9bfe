"use client";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useCallback, useState } from "react";
import { columns } from "../../../components/data-table-columns.tsx";
import { DataTable } from "../../../components/data-table.tsx";
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

type TrainedStream = Training["streams"][number];

const precisionRecall = (q: { precision: number | null; recall: number | null } | null) => (q ? `${pctOrDash(q.precision)} / ${pctOrDash(q.recall)}` : "—");

const COLUMNS = columns<TrainedStream>([
  { id: "stream", header: "Stream", sortBy: (s) => s.stream, cell: (s) => s.stream },
  { id: "events", header: "Events", sortBy: (s) => s.events, cell: (s) => s.events.toLocaleString() },
  { id: "heldOut", header: "Held-out precision / recall", sortBy: (s) => s.heldOut?.precision, cell: (s) => precisionRecall(s.heldOut) },
  { id: "baseline", header: "Type-blind precision / recall", sortBy: (s) => s.baseline?.precision, cell: (s) => precisionRecall(s.baseline) },
  {
    id: "outcome",
    header: "Outcome",
    td: (s) => ({ title: s.note }),
    sortBy: (s) => OUTCOME_LABEL[s.outcome].text,
    cell: (s) => <span className={`badge ${OUTCOME_LABEL[s.outcome].badge}`}>{OUTCOME_LABEL[s.outcome].text}</span>,
  },
]);

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
          <DataTable
            rows={training.streams}
            columns={COLUMNS}
            rowKey={(s) => s.streamId}
            testId="prealloc-default-model-table"
            rowProps={() => ({ "data-testid": "prealloc-default-model-row" })}
            empty="No stream was trained on."
          />
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
