"use client";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { JobStatusNote, pollUntilJobEnds } from "../../../components/job-status.tsx";
import { ErrorNote, Loading, Notice, PageHeader } from "../../../components/ui.tsx";
import { useCan } from "../../../components/user-context.tsx";
import { useTRPC } from "../../../lib/trpc.ts";
import { CapacityProposals } from "./capacity-proposals.tsx";
import { HistoryTable } from "./history-table.tsx";
import { MoveShardletForm } from "./move-shardlet-form.tsx";
import { OpenMigrations } from "./open-migrations.tsx";
import { HostLoads, WhyNot } from "./planner-panel.tsx";
import { ProposalsTable } from "./proposals-table.tsx";

const HISTORY_PAGE = 20;

export function MigrationsView() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const canOperate = useCan("operator");
  const isAdmin = useCan("admin");
  const [result, setResult] = useState<string | null>(null);
  const [scheduling, setScheduling] = useState<string | null>(null);
  const [historyOffset, setHistoryOffset] = useState(0);
  const [planJob, setPlanJob] = useState<string | null>(null);

  const open = useQuery(
    trpc.migrations.list.queryOptions(
      { view: "open", limit: 200 },
      {
        // Live while anything is under way (progress, phase changes); calmer when all is quiet.
        refetchInterval: (q) => ((q.state.data?.items ?? []).some((m) => m.phase !== "proposed") ? 1500 : 4000),
        placeholderData: (previous) => previous,
      },
    ),
  );
  const planner = useQuery(trpc.migrations.planner.queryOptions(undefined, { refetchInterval: 4000, placeholderData: (previous) => previous }));
  const history = useQuery(
    trpc.migrations.list.queryOptions({ view: "history", limit: HISTORY_PAGE, offset: historyOffset }, { refetchInterval: 4000, placeholderData: (previous) => previous }),
  );

  const refresh = async () => {
    await Promise.all([
      queryClient.invalidateQueries({ queryKey: trpc.migrations.list.queryKey() }),
      queryClient.invalidateQueries({ queryKey: trpc.migrations.planner.queryKey() }),
      queryClient.invalidateQueries({ queryKey: trpc.migrations.get.queryKey() }),
    ]);
  };
  const done = async (message: string) => {
    setResult(message);
    await refresh();
  };
  const onMutate = () => setResult(null);
  const approve = useMutation(trpc.migrations.approve.mutationOptions({ onMutate, onSuccess: (r) => done(r.message) }));
  const reject = useMutation(trpc.migrations.reject.mutationOptions({ onMutate, onSuccess: (r) => done(r.message) }));
  const schedule = useMutation(
    trpc.migrations.schedule.mutationOptions({
      onMutate,
      onSuccess: async (r) => {
        setScheduling(null);
        await done(r.message);
      },
    }),
  );
  const cancel = useMutation(trpc.migrations.cancel.mutationOptions({ onMutate, onSuccess: (r) => done(r.message) }));
  const planNow = useMutation(
    trpc.migrations.planNow.mutationOptions({
      onMutate,
      onSuccess: async (r) => {
        setPlanJob(r.jobId || null);
        await done(r.message);
      },
    }),
  );
  const planStatus = useQuery(trpc.migrations.planStatus.queryOptions({ jobId: planJob ?? "" }, { enabled: planJob !== null, refetchInterval: pollUntilJobEnds }));
  const move = useMutation(trpc.migrations.moveShardlet.mutationOptions({ onMutate, onSuccess: (r) => done(r.message) }));
  const drain = useMutation(trpc.migrations.drainHost.mutationOptions({ onMutate, onSuccess: (r) => done(r.message) }));
  const busy = approve.isPending || reject.isPending || schedule.isPending || cancel.isPending;
  // The schedule form shows its own field errors; the others go to the banner.
  const actionError = approve.error ?? reject.error ?? cancel.error ?? planNow.error ?? drain.error ?? (schedule.error && !scheduling ? schedule.error : null);

  const items = open.data?.items ?? [];
  const proposals = items.filter((m) => m.phase === "proposed");
  const underway = items.filter((m) => m.phase !== "proposed");
  const historyTotal = history.data?.total ?? 0;

  return (
    <>
      <PageHeader
        title="Migrations"
        subtitle="Moves of shardlets between hosts: the rebalancer's proposals with their reasons, why it did not propose more, what is running (live), and what ended."
      >
        {canOperate ? (
          <div className="toolbar">
            <button type="button" className="secondary" disabled={planNow.isPending} onClick={() => planNow.mutate()} data-testid="migrations-plan-now">
              {planNow.isPending ? "Planning…" : "Plan now"}
            </button>
          </div>
        ) : null}
      </PageHeader>
      <Notice message={result} testId="migrations-action-result" />
      {planJob ? (
        <JobStatusNote
          key={planJob}
          label="Planner run"
          status={planStatus.data}
          error={planStatus.error}
          testId="migrations-plan-status"
          onEnded={refresh}
          onDismiss={() => setPlanJob(null)}
        />
      ) : null}
      <ErrorNote error={actionError} testId="migrations-action-error" />

      <section className="card" aria-labelledby="proposals-h">
        <div className="card-header">
          <h2 id="proposals-h">Proposals</h2>
          <span className="muted">{proposals.length} waiting for a decision</span>
        </div>
        {!canOperate ? (
          <div className="alert alert-info" role="status" data-testid="migrations-readonly">
            You can view migrations. Operators approve, schedule, reject and cancel them.
          </div>
        ) : null}
        <ErrorNote error={open.error} />
        {open.isPending ? (
          <Loading what="proposals" />
        ) : (
          <ProposalsTable
            items={proposals}
            canOperate={canOperate}
            actions={{
              approve: (id) => approve.mutate({ id }),
              reject: (id) => reject.mutate({ id }),
              schedule: (input) => schedule.mutate(input),
              busy,
              scheduleError: schedule.error,
              scheduling,
              setScheduling: (id) => {
                schedule.reset();
                setScheduling(id);
              },
            }}
          />
        )}
      </section>

      <CapacityProposals canOperate={canOperate} />

      <section className="card" aria-labelledby="whynot-h">
        <h2 id="whynot-h">Why not</h2>
        <ErrorNote error={planner.error} />
        {planner.isPending ? <Loading what="planner notes" /> : planner.data ? <WhyNot planner={planner.data} /> : null}
      </section>

      <section className="card" aria-labelledby="running-h">
        <div className="card-header">
          <h2 id="running-h">Approved, scheduled and running</h2>
          <span className="muted">{underway.length > 0 ? "refreshes every 1.5 seconds" : ""}</span>
        </div>
        {open.isPending ? <Loading what="migrations" /> : <OpenMigrations items={underway} canOperate={canOperate} onCancel={(id) => cancel.mutate({ id })} busy={busy} />}
      </section>

      <section className="card" aria-labelledby="loads-h">
        <h2 id="loads-h">Host load</h2>
        {planner.data ? <HostLoads planner={planner.data} canDrain={isAdmin} onDrain={(hostId, d) => drain.mutate({ hostId, drain: d })} busy={drain.isPending} /> : null}
        {isAdmin ? (
          <p className="muted">Draining a host moves every shardlet off it, a few at a time, before it is retired; nothing new is placed on it.</p>
        ) : null}
      </section>

      {canOperate ? (
        <section className="card" aria-labelledby="move-h">
          <h2 id="move-h">Move a shardlet</h2>
          <ErrorNote error={move.error} testId="move-error" />
          <MoveShardletForm onSubmit={(input) => move.mutate(input)} pending={move.isPending} error={move.error} />
        </section>
      ) : null}

      <section className="card" aria-labelledby="history-h">
        <div className="card-header">
          <h2 id="history-h">History</h2>
          <span className="muted">
            {historyTotal > 0 ? `${historyOffset + 1}–${Math.min(historyOffset + HISTORY_PAGE, historyTotal)} of ${historyTotal}` : ""}
          </span>
        </div>
        <ErrorNote error={history.error} />
        {history.isPending ? <Loading what="history" /> : <HistoryTable items={history.data?.items ?? []} />}
        {historyTotal > HISTORY_PAGE ? (
          <div className="form-actions">
            <button type="button" className="secondary small" disabled={historyOffset === 0} onClick={() => setHistoryOffset(Math.max(0, historyOffset - HISTORY_PAGE))}>
              Newer
            </button>
            <button
              type="button"
              className="secondary small"
              disabled={historyOffset + HISTORY_PAGE >= historyTotal}
              onClick={() => setHistoryOffset(historyOffset + HISTORY_PAGE)}
              data-testid="history-older"
            >
              Older
            </button>
          </div>
        ) : null}
      </section>
    </>
  );
}
