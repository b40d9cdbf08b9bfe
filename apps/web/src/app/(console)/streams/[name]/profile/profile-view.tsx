"use client";
import Link from "next/link";
import { useState } from "react";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { JobStatusNote, pollUntilJobEnds } from "../../../../../components/job-status.tsx";
import { ErrorNote, Loading, Notice, PageHeader } from "../../../../../components/ui.tsx";
import { useCan } from "../../../../../components/user-context.tsx";
import { formatDuration, formatNumber, formatPct } from "../../../../../lib/format.ts";
import { hashRange } from "../../../../../lib/health-colour.ts";
import { useTRPC } from "../../../../../lib/trpc.ts";
import { ActivityChart, KeyBinsChart } from "./profile-charts.tsx";
import { OrchestratorNotes } from "./orchestrator-notes.tsx";
import { ShardletHealthTable } from "./shardlet-health-table.tsx";
import { StreamProfile } from "./stream-profile.tsx";
import type { HealthData } from "./types.ts";

// The schema's default, for the moment before the stream's own settings have loaded.
const DEFAULT_THRESHOLD = 0.5;

function SettingsChips({ settings }: { settings: HealthData["settings"] }) {
  if (!settings) return null;
  return (
    <div className="chips" style={{ marginBottom: 12 }} data-testid="profile-settings">
      <span className="chip">
        key fields <b>{settings.keyFields.length > 0 ? settings.keyFields.join(", ") : "none"}</b>
      </span>
      <span className="chip">
        sample rate <b>{formatPct(settings.sampleRate)}</b>
      </span>
      <span className="chip">
        health threshold <b>{settings.healthThreshold.toFixed(2)}</b>
      </span>
      <span className="chip">
        window <b>{formatDuration(settings.windowSec * 1000)}</b>
      </span>
      <span className="chip">
        max shardlets <b>{formatNumber(settings.maxShards)}</b>
      </span>
    </div>
  );
}

function NoProfile({ d }: { d: HealthData }) {
  if (!d.enabled) {
    return (
      <p className="empty" data-testid="profile-empty" data-reason="disabled">
        Profiler disabled — turn it on on the <Link href="/settings">Settings</Link> page.
      </p>
    );
  }
  const fields = d.settings?.keyFields ?? [];
  return (
    <div className="empty" data-testid="profile-empty" data-reason="no-samples">
      <p style={{ margin: 0 }}>
        No samples yet — set key fields on the <Link href="/settings">Settings</Link> page.
      </p>
      {fields.length > 0 && d.settings ? (
        <p className="muted" style={{ margin: "6px 0 0", fontSize: 12 }}>
          Key fields {fields.join(", ")} are set: the edges sample {formatPct(d.settings.sampleRate)} of the events written, and the samples show here after their
          next telemetry flush.
        </p>
      ) : null}
    </div>
  );
}

/** One stream's data profile and per-shardlet health, as the orchestrator sees them. */
export function ProfileView({ name }: { name: string }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const canOperate = useCan("operator");
  const q = useQuery(trpc.profiler.health.queryOptions({ stream: name }, { refetchInterval: 5_000, placeholderData: (prev) => prev }));
  const [selected, setSelected] = useState<string | null>(null);
  const [runMessage, setRunMessage] = useState<string | null>(null);
  const [runJob, setRunJob] = useState<string | null>(null);
  const refreshHealth = () => queryClient.invalidateQueries({ queryKey: trpc.profiler.health.queryKey() });
  const runNow = useMutation(
    trpc.profiler.runNow.mutationOptions({
      onMutate: () => setRunMessage(null),
      onSuccess: async (r) => {
        setRunMessage(`${r.message}${r.jobId ? ` Job ${r.jobId}.` : ""} Its notes and proposals show up here and on the heatmap once it has run.`);
        setRunJob(r.jobId || null);
        await refreshHealth();
      },
    }),
  );
  const runStatus = useQuery(trpc.profiler.runStatus.queryOptions({ jobId: runJob ?? "" }, { enabled: runJob !== null, refetchInterval: pollUntilJobEnds }));
  const d = q.data;
  const threshold = d?.settings?.healthThreshold ?? DEFAULT_THRESHOLD;
  // Until one is picked, the weakest shardlet with samples: the one most worth a look.
  const sampled = d ? [...d.shardlets].filter((s) => s.profile).sort((a, b) => a.health.score - b.health.score) : [];
  const shardlet = d?.shardlets.find((s) => s.id === selected) ?? sampled[0] ?? d?.shardlets[0];
  const base = `/streams/${encodeURIComponent(name)}`;

  return (
    <>
      <PageHeader
        title={`Profile & health of ${name}`}
        subtitle={
          <>
            <Link href={base}>Back to the stream</Link> · sampled payload statistics per shardlet and the health scores the orchestrator acts on. Refreshes every 5
            seconds.
          </>
        }
      >
        <div className="toolbar">
          <Link href="/heatmap">Heatmap</Link>
          <Link href="/shard-map">Shard map</Link>
          {canOperate ? (
            <button type="button" onClick={() => runNow.mutate()} disabled={runNow.isPending} data-testid="orchestrator-run-now">
              {runNow.isPending ? "Queueing…" : "Run orchestrator now"}
            </button>
          ) : null}
        </div>
      </PageHeader>
      <Notice message={runMessage} testId="orchestrator-run-result" />
      {runJob ? (
        <JobStatusNote
          key={runJob}
          label="Orchestrator run"
          status={runStatus.data}
          error={runStatus.error}
          testId="orchestrator-run-status"
          onEnded={refreshHealth}
          onDismiss={() => setRunJob(null)}
        />
      ) : null}
      <ErrorNote error={runNow.error} testId="orchestrator-run-error" />
      <ErrorNote error={q.error} testId="profile-error" />
      {!d ? (
        q.isPending ? <Loading what="profile and health" /> : null
      ) : (
        <>
          {!d.enabled ? (
            <div className="alert alert-warning" role="status" data-testid="profiler-disabled">
              Profiler disabled: the edges sample nothing and the orchestrator only runs when asked. Admins turn it on under{" "}
              <Link href="/settings">Settings</Link>.
            </div>
          ) : null}
          <section className="card" aria-labelledby="health-h">
            <div className="card-header">
              <h2 id="health-h">Shardlet health</h2>
              <span className="muted">lowest component wins; below {threshold.toFixed(2)} the orchestrator proposes a fix or notes why not</span>
            </div>
            <SettingsChips settings={d.settings} />
            <ShardletHealthTable shardlets={d.shardlets} threshold={threshold} selectedId={shardlet?.id ?? null} onSelect={setSelected} />
          </section>

          <section className="card" aria-labelledby="profile-h">
            <div className="card-header">
              <h2 id="profile-h">Stream profile</h2>
              {d.streamProfile ? (
                <span className="muted">
                  {formatNumber(d.streamProfile.sampled)} sampled events over the last {formatDuration((d.settings?.windowSec ?? 0) * 1000)}, all shardlets
                </span>
              ) : null}
            </div>
            {d.streamProfile ? <StreamProfile profile={d.streamProfile} keyFields={d.settings?.keyFields ?? []} /> : <NoProfile d={d} />}
          </section>

          <div className="grid grid-2">
            <section className="card" aria-labelledby="bins-h">
              <div className="card-header">
                <h2 id="bins-h">Where writes fall in a shardlet</h2>
                {d.shardlets.length > 1 ? (
                  <select
                    aria-label="Shardlet"
                    value={shardlet?.id ?? ""}
                    onChange={(e) => setSelected(e.target.value)}
                    style={{ width: "auto" }}
                    data-testid="key-bins-shardlet"
                  >
                    {d.shardlets.map((s) => (
                      <option key={s.id} value={s.id}>
                        {hashRange(s.lo, s.hi)} on {s.hostName}
                      </option>
                    ))}
                  </select>
                ) : null}
              </div>
              {shardlet ? <KeyBinsChart key={shardlet.id} profile={shardlet.profile} range={hashRange(shardlet.lo, shardlet.hi)} /> : <p className="empty">No live shardlet.</p>}
            </section>
            <section className="card" aria-labelledby="activity-h">
              <div className="card-header">
                <h2 id="activity-h">Profiler activity</h2>
                <span className="muted">sampled events per 5 minutes</span>
              </div>
              <ActivityChart points={d.activity} />
            </section>
          </div>

          <OrchestratorNotes notes={d.notes} shardlets={d.shardlets} />
        </>
      )}
    </>
  );
}
