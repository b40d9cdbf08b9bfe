"use client";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { ColourByToggle } from "../../../components/colour-by.tsx";
import { JobStatusNote, pollUntilJobEnds } from "../../../components/job-status.tsx";
import { byName, SelectField } from "../../../components/fields.tsx";
import { ErrorNote, Loading, Notice, PageHeader } from "../../../components/ui.tsx";
import { useCan } from "../../../components/user-context.tsx";
import { formatAgo, formatTime } from "../../../lib/format.ts";
import { useShardletHealth, type ColourBy } from "../../../lib/health-colour.ts";
import { useTRPC } from "../../../lib/trpc.ts";
import { AnalyzerNotes } from "./analyzer-notes.tsx";
import { AnalyzerSettingsForm } from "./analyzer-settings-form.tsx";
import { CapacityPanel } from "./capacity-panel.tsx";
import { HealthLegend, HeatmapGrid, HeatmapLegend } from "./heatmap-grid.tsx";
import { PreallocLegend, usePreallocMarks } from "./prealloc-overlay.tsx";
import { ProposalsTable, type ProposalActions } from "./proposals-table.tsx";
import { ShardletPanel } from "./shardlet-panel.tsx";

/** How far back the map reaches, in steps (as strings: a select hands back strings). */
const WINDOWS = [
  { value: "18", label: "3 min" },
  { value: "30", label: "5 min" },
  { value: "90", label: "15 min" },
  { value: "180", label: "30 min" },
];

export function HeatmapView() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const canOperate = useCan("operator");
  const isAdmin = useCan("admin");
  const [streamId, setStreamId] = useState("");
  const [hostId, setHostId] = useState("");
  const [pastSteps, setPastSteps] = useState(30);
  const [selected, setSelected] = useState<string | null>(null);
  const [proposalView, setProposalView] = useState<"open" | "decided">("open");
  const [runJob, setRunJob] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const runStatus = useQuery(trpc.analyzer.runStatus.queryOptions({ jobId: runJob ?? "" }, { enabled: runJob !== null, refetchInterval: pollUntilJobEnds }));
  const [colourBy, setColourBy] = useState<ColourBy>("load");
  const [metric, setMetric] = useState<"writes" | "reads">("writes");
  const health = useShardletHealth(colourBy === "health");

  const streams = useQuery(trpc.analyzer.modes.queryOptions(undefined, { refetchInterval: 10_000 }));
  const hosts = useQuery(trpc.hosts.list.queryOptions(undefined, { refetchInterval: 15_000 }));
  const filter = { pastSteps, metric, ...(streamId ? { streamId } : {}), ...(hostId ? { hostId } : {}) };
  const cells = useQuery(trpc.heatmap.cells.queryOptions(filter, { refetchInterval: 5_000, placeholderData: (prev) => prev }));
  const proposals = useQuery(
    trpc.analyzer.proposals.queryOptions({ status: proposalView, limit: 100, ...(streamId ? { streamId } : {}) }, { refetchInterval: 5_000, placeholderData: (prev) => prev }),
  );
  const settings = useQuery(trpc.analyzer.settings.queryOptions());

  const refresh = async () => {
    await Promise.all([
      queryClient.invalidateQueries({ queryKey: trpc.analyzer.proposals.queryKey() }),
      queryClient.invalidateQueries({ queryKey: trpc.heatmap.cells.queryKey() }),
      queryClient.invalidateQueries({ queryKey: trpc.heatmap.shardlet.queryKey() }),
      queryClient.invalidateQueries({ queryKey: trpc.analyzer.modes.queryKey() }),
      queryClient.invalidateQueries({ queryKey: trpc.capacity.plan.queryKey() }),
    ]);
  };
  const onAction = (message: string) => async () => {
    setNotice(message);
    await refresh();
  };
  const apply = useMutation(trpc.analyzer.applyProposal.mutationOptions({ onMutate: () => setNotice(null), onSuccess: async (r) => onAction(r.message)() }));
  const dismiss = useMutation(trpc.analyzer.dismiss.mutationOptions({ onMutate: () => setNotice(null), onSuccess: onAction("Proposal dismissed.") }));
  const approveHost = useMutation(trpc.analyzer.approveAddHost.mutationOptions({ onMutate: () => setNotice(null), onSuccess: async (r) => onAction(r.message)() }));
  const approveDrain = useMutation(trpc.analyzer.approveDrainHost.mutationOptions({ onMutate: () => setNotice(null), onSuccess: async (r) => onAction(r.message)() }));
  const setMode = useMutation(
    trpc.analyzer.setMode.mutationOptions({
      onSuccess: async (r) =>
        onAction(r.mode === "act" ? "The analyzer now acts on this stream's predictions: splits are queued, feasible moves approved." : "The analyzer now only proposes for this stream.")(),
    }),
  );
  const runNow = useMutation(
    trpc.analyzer.runNow.mutationOptions({
      onMutate: () => setNotice(null),
      onSuccess: (r) => setRunJob(r.jobId),
    }),
  );
  const actions: ProposalActions = {
    canOperate,
    busy: apply.isPending || dismiss.isPending || approveHost.isPending || approveDrain.isPending,
    apply: (id) => apply.mutate({ proposalId: id }),
    dismiss: (id) => dismiss.mutate({ proposalId: id }),
    approveAddHost: (id) => approveHost.mutate({ proposalId: id }),
    approveDrainHost: (id) => approveDrain.mutate({ proposalId: id }),
    select: (id) => setSelected(id),
  };
  const stream = streams.data?.streams.find((s) => s.id === streamId);
  const data = cells.data;
  const prealloc = usePreallocMarks(streamId, data?.times[0] ?? null);

  return (
    <>
      <PageHeader
        title="Heatmap"
        subtitle="Write load per shardlet over time: the actual past from telemetry left of the line, the analyzer's forecast right of it. Click a cell for the shardlet's forecast and proposals."
      >
        <div className="toolbar">
          <SelectField
            id="heatmap-stream"
            label="Stream"
            value={streamId}
            onChange={setStreamId}
            placeholder="All streams"
            items={byName(streams.data?.streams)}
            testId="heatmap-stream"
            style={{ minWidth: 180, flex: "none" }}
          />
          <SelectField
            id="heatmap-host"
            label="Host"
            value={hostId}
            onChange={setHostId}
            placeholder="All hosts"
            items={byName(hosts.data?.hosts)}
            testId="heatmap-host"
            style={{ minWidth: 150, flex: "none" }}
          />
          <SelectField
            id="heatmap-window"
            label="Past"
            value={String(pastSteps)}
            onChange={(v) => setPastSteps(Number(v))}
            items={WINDOWS}
            testId="heatmap-window"
            style={{ minWidth: 110, flex: "none" }}
          />
          <div className="segmented" role="group" aria-label="Rate shown" style={{ marginBottom: 0, flex: "none", alignSelf: "flex-end" }}>
            {(["writes", "reads"] as const).map((m) => (
              <button key={m} type="button" aria-pressed={metric === m} onClick={() => setMetric(m)} data-testid={`heatmap-metric-${m}`}>
                {m === "writes" ? "Writes" : "Reads"}
              </button>
            ))}
          </div>
          <ColourByToggle name="heatmap" value={colourBy} onChange={setColourBy} />
          {canOperate ? (
            <button
              type="button"
              onClick={() => runNow.mutate(streamId ? { streamId } : {})}
              disabled={runNow.isPending}
              data-testid="analyzer-run-now"
              style={{ alignSelf: "flex-end" }}
            >
              Run analyzer now
            </button>
          ) : null}
        </div>
      </PageHeader>
      {runJob ? (
        <JobStatusNote
          key={runJob}
          label="Analyzer run"
          status={runStatus.data}
          error={runStatus.error}
          testId="analyzer-run-status"
          onDismiss={() => setRunJob(null)}
        />
      ) : null}
      <Notice message={notice} testId="heatmap-action-result" />
      <ErrorNote error={runNow.error ?? apply.error ?? dismiss.error ?? approveHost.error ?? approveDrain.error ?? setMode.error} testId="heatmap-action-error" />
      <ErrorNote error={cells.error ?? (colourBy === "health" ? health.error : null) ?? prealloc.error} />

      {stream ? (
        <section className="card" aria-labelledby="mode-h" data-testid="predictive-mode">
          <div className="card-header" style={{ marginBottom: 0 }}>
            <div>
              <h2 id="mode-h">Predictive mode of {stream.name}</h2>
              <p className="muted" style={{ margin: "4px 0 0" }}>
                Forecast only: the analyzer proposes and operators decide. Act: it queues its predicted splits and approves its feasible moves itself.
              </p>
            </div>
            <div className="segmented" role="group" aria-label="Predictive mode" style={{ marginBottom: 0, flex: "none" }}>
              {(["forecast_only", "act"] as const).map((m) => (
                <button
                  key={m}
                  type="button"
                  aria-pressed={stream.mode === m}
                  disabled={!canOperate || setMode.isPending}
                  onClick={() => stream.mode !== m && setMode.mutate({ streamId: stream.id, mode: m })}
                  data-testid={`mode-${m}`}
                >
                  {m === "act" ? "Act" : "Forecast only"}
                </button>
              ))}
            </div>
          </div>
        </section>
      ) : null}

      {/* The shardlet panel sits beside the map where both fit, below it otherwise. */}
      <div style={{ display: "grid", gridTemplateColumns: selected ? "repeat(auto-fit, minmax(min(100%, 620px), 1fr))" : "minmax(0, 1fr)", gap: 18, alignItems: "start" }}>
        <section className="card" aria-labelledby="heatmap-h" style={{ minWidth: 0 }}>
          <div className="card-header">
            <h2 id="heatmap-h">{colourBy === "health" ? "Health (current score)" : metric === "reads" ? "Reads (reads/s)" : "Load (writes/s)"}</h2>
            <span className="muted" data-testid="heatmap-run">
              {data?.run
                ? `Forecast by ${data.run.model}, run ${formatAgo(data.run.at)} (${formatTime(data.run.at)}), ${data.run.horizonSec} s ahead`
                : "No analyzer run has forecast these shardlets yet: only the actual past is shown."}
            </span>
          </div>
          {colourBy === "health" ? <HealthLegend health={health} /> : data ? <HeatmapLegend threshold={data.threshold} metric={data.metric} /> : null}
          {data ? <PreallocLegend marked={data.rows.filter((r) => prealloc.marks.has(r.shardletId)).length} /> : null}
          {cells.isPending ? <Loading what="heatmap" /> : null}
          {data && data.rows.length === 0 ? <p className="empty">No shardlets match.</p> : null}
          {data && data.rows.length > 0 ? (
            <div style={{ marginTop: 12 }}>
              <HeatmapGrid
                data={data}
                selectedId={selected}
                onSelect={setSelected}
                showStream={!streamId}
                health={colourBy === "health" ? health : null}
                prealloc={prealloc.marks}
              />
              <p className="muted" style={{ fontSize: 12, marginTop: 8 }}>
                {data.totalRows > data.rows.length ? `The ${data.rows.length} hottest of ${data.totalRows} shardlets. ` : ""}
                Steps of {data.bucketSec} s.{" "}
                {colourBy === "health"
                  ? "Each row takes its shardlet's current health colour (red below the stream's health threshold)."
                  : data.metric === "reads"
                    ? `Red marks the replica threshold: a shardlet read this fast is a candidate for a read replica. Read forecasts the analyzer does not trust show the observed rate.`
                    : `Red marks the overload threshold: ${Math.round((data.threshold / data.splitWriteRate) * 100)}% of the split write rate.`}
              </p>
            </div>
          ) : null}
        </section>
        {selected ? <ShardletPanel shardletId={selected} metric={metric} onClose={() => setSelected(null)} actions={actions} /> : null}
      </div>

      <CapacityPanel />

      <section className="card" aria-labelledby="proposals-h">
        <div className="card-header">
          <h2 id="proposals-h">Analyzer proposals</h2>
          <div className="segmented" role="group" aria-label="Which proposals" style={{ marginBottom: 0 }}>
            {(["open", "decided"] as const).map((v) => (
              <button key={v} type="button" aria-pressed={proposalView === v} onClick={() => setProposalView(v)} data-testid={`proposals-${v}`}>
                {v === "open" ? "Open" : "Decided"}
              </button>
            ))}
          </div>
        </div>
        <ErrorNote error={proposals.error} />
        {proposals.data ? <ProposalsTable proposals={proposals.data.proposals} actions={actions} testId="proposals-table" /> : <Loading what="proposals" />}
        <AnalyzerNotes streamId={streamId} select={setSelected} />
      </section>

      <section className="card" aria-labelledby="analyzer-settings-h">
        <details>
          <summary>
            <h2 id="analyzer-settings-h" style={{ display: "inline" }}>
              Analyzer settings
            </h2>
          </summary>
          <div style={{ marginTop: 12 }}>
            {settings.data ? (
              <AnalyzerSettingsForm key={String(settings.data.updatedAt?.getTime() ?? 0)} current={settings.data.analyzer} readOnly={!isAdmin} />
            ) : (
              <Loading what="analyzer settings" />
            )}
          </div>
        </details>
      </section>
    </>
  );
}
