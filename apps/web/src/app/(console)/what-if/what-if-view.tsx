"use client";
import { useMutation, useQuery } from "@tanstack/react-query";
import { TRPCClientError } from "@trpc/client";
import type { inferRouterOutputs } from "@trpc/server";
import { useState, type FormEvent } from "react";
import type { AppRouter } from "@shardcast/api";
import { ErrorNote, Loading, PageHeader } from "../../../components/ui.tsx";
import { useCan } from "../../../components/user-context.tsx";
import { formatDateTime, formatDuration, formatNumber, formatPct, plural } from "../../../lib/format.ts";
import { useTRPC } from "../../../lib/trpc.ts";
import { HostsChart } from "./hosts-chart.tsx";
import { IncidentsTable } from "./incidents-table.tsx";
import { PolicyTable } from "./policy-table.tsx";
import { WhatIfChart } from "./what-if-chart.tsx";
import { fieldKey, FIELDS, fromForm, shownValue, toForm, type Area, type FormValues } from "./what-if-fields.ts";

type Source = "auto" | "telemetry" | "trace";

const AREAS: Array<{ area: Area; title: string }> = [
  { area: "lifecycle", title: "Lifecycle (splits and merges)" },
  { area: "rebalance", title: "Rebalancer (reactive moves)" },
  { area: "analyzer", title: "Analyzer (predictive splits and moves)" },
];

/** Server messages per full field path (`lifecycle.splitThreshold`). */
function serverFieldErrors(err: unknown): Record<string, string> {
  if (!(err instanceof TRPCClientError)) return {};
  const out: Record<string, string> = {};
  for (const r of (err as TRPCClientError<AppRouter>).data?.details?.rejected ?? []) {
    const path = r.path.split(".").slice(0, 2).join(".");
    if (path && !(path in out)) out[path] = r.message.replace(/^[\w.]+: /, "");
  }
  return out;
}

export function WhatIfView() {
  const trpc = useTRPC();
  const canRun = useCan("operator");
  const defaults = useQuery(trpc.whatif.defaults.queryOptions());
  return (
    <>
      <PageHeader
        title="What-if"
        subtitle="Replays the cluster's last day of load in the simulator under six placement policies, from static hashing to an oracle that knows the load, with the current thresholds or the ones you type here. Nothing is saved: apply thresholds on the Settings page."
      />
      <ErrorNote error={defaults.error} />
      {defaults.isPending ? <Loading what="the current settings" /> : null}
      {defaults.data ? <WhatIfForm key={JSON.stringify(defaults.data.fields)} fields={defaults.data.fields} telemetry={defaults.data.telemetry} canRun={canRun} /> : null}
    </>
  );
}

function WhatIfForm({
  fields,
  telemetry,
  canRun,
}: {
  fields: Record<Area, Record<string, number>>;
  telemetry: { resolutionSec: number; from: number; to: number } | null;
  canRun: boolean;
}) {
  const trpc = useTRPC();
  const [values, setValues] = useState<FormValues>(() => toForm(fields));
  const [source, setSource] = useState<Source>("auto");
  const [errors, setErrors] = useState<Record<string, string>>({});
  const run = useMutation(trpc.whatif.run.mutationOptions());
  const server = serverFieldErrors(run.error);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (!canRun) return;
    const { draft, errors: found } = fromForm(values, fields);
    setErrors(found);
    if (!draft) return;
    run.mutate({ source, ...draft });
  };
  const shown = (k: string) => errors[k] ?? server[k];
  const changed = FIELDS.filter((f) => Number(values[fieldKey(f)]) !== shownValue(f, fields[f.area][f.name])).length;
  return (
    <>
      <section className="card" aria-labelledby="whatif-form-h">
        <div className="card-header">
          <h2 id="whatif-form-h">Thresholds to try</h2>
          <span className="muted" data-testid="whatif-data">
            {telemetry
              ? `Telemetry: ${formatDateTime(telemetry.from)} – ${formatDateTime(telemetry.to)} (${telemetry.resolutionSec}-second buckets)`
              : "No telemetry yet: runs on a shipped trace"}
          </span>
        </div>
        {!canRun ? (
          <div className="alert alert-info" role="status" data-testid="whatif-readonly">
            Operators and admins can run what-ifs; you can see the current thresholds.
          </div>
        ) : null}
        <form className="stack" onSubmit={submit} noValidate data-testid="whatif-form">
          {run.error && Object.keys(server).length === 0 ? <ErrorNote error={run.error} testId="whatif-error" /> : null}
          <fieldset className="plain" disabled={!canRun || run.isPending}>
            {AREAS.map(({ area, title }) => (
              <div key={area} className="settings-group">
                <h3>{title}</h3>
                <div className="settings-grid">
                  {FIELDS.filter((f) => f.area === area).map((f) => {
                    const k = fieldKey(f);
                    const id = `wi-${area}-${f.name}`;
                    return (
                      <div className="field" key={k}>
                        <label htmlFor={id}>{f.label}</label>
                        <input
                          id={id}
                          type="number"
                          step={f.step}
                          inputMode="decimal"
                          value={values[k] ?? ""}
                          onChange={(e) => setValues((old) => ({ ...old, [k]: e.target.value }))}
                          aria-invalid={shown(k) ? true : undefined}
                          aria-describedby={shown(k) ? `${id}-error` : undefined}
                          data-testid={`whatif-${area}-${f.name}`}
                        />
                        {shown(k) ? (
                          <span className="field-error" id={`${id}-error`} data-testid={`whatif-${area}-${f.name}-error`}>
                            {shown(k)}
                          </span>
                        ) : (
                          <span className="hint">
                            {f.hint}; now {String(shownValue(f, fields[f.area][f.name]))}
                          </span>
                        )}
                      </div>
                    );
                  })}
                </div>
              </div>
            ))}
            <div className="field" style={{ maxWidth: 480 }}>
              <label htmlFor="wi-source">Load to replay</label>
              <select id="wi-source" value={source} onChange={(e) => setSource(e.target.value as Source)} data-testid="whatif-source-select">
                <option value="auto">Last day of telemetry (a shipped trace if there is none)</option>
                <option value="telemetry">Last day of telemetry only</option>
                <option value="trace">Shipped trace (a week of Wikipedia, Google and taxi load)</option>
              </select>
            </div>
          </fieldset>
          {canRun ? (
            <div className="form-actions">
              <button type="submit" disabled={run.isPending} data-testid="whatif-run">
                {run.isPending ? "Simulating…" : "Run what-if"}
              </button>
              <button
                type="button"
                className="secondary"
                disabled={run.isPending || changed === 0}
                onClick={() => {
                  setValues(toForm(fields));
                  setErrors({});
                }}
                data-testid="whatif-reset"
              >
                Back to the current settings
              </button>
              <span className="muted">{changed === 0 ? "Current settings." : `${changed} field${changed === 1 ? "" : "s"} differ from the current settings.`}</span>
            </div>
          ) : null}
        </form>
      </section>
      {run.data ? <WhatIfResults result={run.data} /> : null}
    </>
  );
}

type Result = inferRouterOutputs<AppRouter>["whatif"]["run"];

function WhatIfResults({ result }: { result: Result }) {
  const s = result.summary;
  const policies = result.policies.map((p) => p.policy);
  const hoursOf = (name: string) => result.policies.find((p) => p.policy === name)?.metrics.hostHours ?? null;
  const predictiveHours = hoursOf("predictive");
  const reactiveHours = hoursOf("reactive_tuned") ?? hoursOf("reactive");
  const elastic = result.policies.some((p) => p.metrics.hostsAdded > 0 || p.metrics.hostsRemoved > 0);
  return (
    <section className="card" aria-labelledby="whatif-results-h" data-testid="whatif-results">
      <div className="card-header">
        <h2 id="whatif-results-h">Results</h2>
        <span className="muted">simulated in {formatDuration(result.wallMs)}</span>
      </div>
      <div className={`alert ${result.source.kind === "trace" ? "alert-warning" : "alert-info"}`} role="status" data-testid="whatif-source">
        {result.source.note} {plural(result.source.hosts, "host")}, {plural(result.source.shardlets, "shardlet")}, {plural(result.source.buckets, "bucket")}.
      </div>
      <p data-testid="whatif-summary">
        Predictive vs reactive (best-tuned):{" "}
        {s.violation_minutes_reactive_tuned > 0 ? (
          <strong>{formatPct(s.violation_reduction_vs_reactive)} fewer minutes over capacity</strong>
        ) : (
          <strong>reactive kept every host under capacity</strong>
        )}
        {s.violation_minutes_reactive > 0 ? <span> ({formatPct(s.violation_reduction_vs_reactive_default)} fewer than reactive at the product defaults)</span> : null}
        ; bytes moved ×{s.bytes_moved_ratio_vs_reactive === null ? "∞" : s.bytes_moved_ratio_vs_reactive.toFixed(2)}; p99 max/mean host load {s.max_mean_p99_predictive.toFixed(2)}
        {predictiveHours !== null && reactiveHours !== null && reactiveHours > 0 ? (
          <span data-testid="whatif-host-hours-summary">
            ; host-hours ×{(predictiveHours / reactiveHours).toFixed(2)} of reactive ({formatNumber(predictiveHours)} h against {formatNumber(reactiveHours)} h)
          </span>
        ) : null}
        .
      </p>
      <PolicyTable policies={result.policies} />
      <p className="muted" data-testid="whatif-floor">
        Floor: <strong data-testid="whatif-floor-hours">{result.hostHoursFloor < 100 ? result.hostHoursFloor.toFixed(1) : formatNumber(result.hostHoursFloor)}</strong> host-hours, the
        fewest hosts the load fills to capacity at every moment, with no provisioning, no copy time and a perfect balance. No policy pays less without minutes
        over capacity{predictiveHours !== null && result.hostHoursFloor > 0 ? `; predictive paid ×${(predictiveHours / result.hostHoursFloor).toFixed(2)} of it` : ""}.
      </p>
      <h3>Hottest host over time</h3>
      <WhatIfChart points={result.chart} policies={policies} measuredFrom={result.measuredFrom} relative={result.source.kind === "trace"} />
      <h3>Hosts over time</h3>
      <HostsChart points={result.hostsChart} policies={policies} measuredFrom={result.measuredFrom} relative={result.source.kind === "trace"} />
      <p className="muted" data-testid="whatif-hosts-note">
        {elastic
          ? "Hosts each policy paid for. The dashed line is the hosts the predictive capacity plan wanted: it asks for a host a lead before the forecast peak and drains one in a trough. The dotted line is the floor."
          : "No policy added or removed a host in this run: every policy paid for the same hosts. The dotted line is the floor."}
      </p>
      <h3>Largest incidents over capacity</h3>
      <IncidentsTable incidents={result.incidents} relative={result.source.kind === "trace"} />
      <p className="muted">
        Static keeps the first layout; reactive splits, merges and rebalances on current load; predictive adds the load analyzer on forecasts; the oracle gets
        the true future, and drains a host only when its shardlets fit on the others over the next 12 hours of their true load. The shaded start is forecast history, not measured.
      </p>
    </section>
  );
}
