"use client";
import { useQuery } from "@tanstack/react-query";
import type { inferRouterOutputs } from "@trpc/server";
import Link from "next/link";
import { CartesianGrid, Legend, Line, LineChart, ReferenceLine, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";
import type { AppRouter } from "@shardcast/api";
import { ErrorNote, Loading } from "../../../components/ui.tsx";
import { formatAgo, formatBytes, formatDateTime, formatDuration, formatPct, formatRate, formatTime } from "../../../lib/format.ts";
import { useTRPC } from "../../../lib/trpc.ts";

type CapacityOut = inferRouterOutputs<AppRouter>["capacity"]["plan"];
type Plan = NonNullable<CapacityOut["plan"]>;

const tooltipStyle = { background: "var(--surface)", border: "1px solid var(--border)", borderRadius: 6 };

/** Hours and minutes for leads and savings measured in seconds. */
const secs = (s: number) => formatDuration(s * 1000);

/** Why there is no plan to show, in the operator's words. */
function emptyReason(d: CapacityOut): string {
  if (!d.settings.enabled) return "Capacity planning is off: the analyzer does not plan hosts. An admin can turn it on under Settings › Capacity.";
  if (!d.latestRunAt) return "No analyzer run yet. The plan is made by an analyzer run over every stream (scheduled, or Run analyzer now with All streams).";
  return `The latest analyzer run (${formatAgo(d.latestRunAt)}) covered one stream only; hosts are planned by runs over every stream. Choose All streams and run the analyzer.`;
}

function Decision({ plan }: { plan: Plan }) {
  if (plan.add) {
    const a = plan.add;
    return (
      <div className={`alert ${a.late ? "alert-error" : "alert-warning"}`} role="status" data-testid="capacity-decision" data-decision="add">
        <strong>
          Add {a.count === 1 ? "one host" : `${a.count} hosts`}
          {a.late ? " (late)" : ""}
        </strong>
        : {a.reason}
        <div className="chips" style={{ marginTop: 6 }}>
          <span className="chip" data-testid="capacity-ask-by">
            ask by <b>{formatDateTime(a.startByMs)}</b>
          </span>
          <span className="chip" data-testid="capacity-need-by">
            needed by <b>{formatDateTime(a.needByMs)}</b>
          </span>
          <span className="chip">
            lead <b>{secs(a.leadSec)}</b>
          </span>
          <span className="chip">
            fill <b>{formatBytes(a.fillBytes)}</b> per host
          </span>
          <span className="chip">
            peak <b>{formatRate(a.peak)}</b>
          </span>
        </div>
      </div>
    );
  }
  if (plan.drain) {
    const d = plan.drain;
    return (
      <div className="alert alert-info" role="status" data-testid="capacity-decision" data-decision="drain">
        <strong>Drain {d.hostName}</strong>: {d.reason}
        <div className="chips" style={{ marginTop: 6 }}>
          <span className="chip">
            moves <b>{formatBytes(d.bytes)}</b> in about <b>{secs(d.drainSec)}</b>
          </span>
          <span className="chip" data-testid="capacity-trough-ends">
            trough ends <b>{formatDateTime(d.troughEndsMs)}</b>
          </span>
          <span className="chip">
            saves <b>{secs(d.savingSec)}</b> of host time
          </span>
        </div>
      </div>
    );
  }
  return (
    <div className="alert alert-ok" role="status" data-testid="capacity-decision" data-decision="none">
      <strong>No change</strong>: {plan.hostsNow} host{plan.hostsNow === 1 ? "" : "s"} carry the forecast for the whole horizon, and none can be drained with profit.
    </div>
  );
}

/** Hosts planned vs needed, and the load against the planned capacity, over the forecast horizon. */
function PlanCharts({ plan, targetUtilization }: { plan: Plan; targetUtilization: number }) {
  const data = plan.timeline.map((s) => ({ t: s.atMs, needed: s.hostsNeeded, planned: s.hostsPlanned, forecast: s.forecast, band: s.planned !== undefined && s.planned > s.forecast ? s.planned : undefined, capacity: s.capacity, target: s.capacity * targetUtilization }));
  const start = data[0]?.t;
  const now =
    start === undefined ? null : <ReferenceLine x={start} stroke="var(--text-muted)" strokeDasharray="4 3" label={{ value: "now ▸ forecast", fontSize: 11, position: "insideTopLeft" }} />;
  const marks = (
    <>
      {now}
      {/* A need that is already here sits on the "now" line: one label there is enough. */}
      {plan.add && start !== undefined && plan.add.needByMs > start ? <ReferenceLine x={plan.add.needByMs} stroke="#c0392b" strokeDasharray="2 3" label={{ value: "needed by", fontSize: 11, position: "insideTopRight" }} /> : null}
      {plan.drain && plan.drain.troughEndsMs <= (data[data.length - 1]?.t ?? 0) ? (
        <ReferenceLine x={plan.drain.troughEndsMs} stroke="#2980b9" strokeDasharray="2 3" label={{ value: "trough ends", fontSize: 11, position: "insideTopRight" }} />
      ) : null}
    </>
  );
  const axis = <XAxis dataKey="t" type="number" domain={["dataMin", "dataMax"]} tickFormatter={(v: number) => formatTime(v)} stroke="var(--text-muted)" fontSize={11} minTickGap={50} />;
  return (
    <div className="grid-2" style={{ marginTop: 12 }}>
      <div>
        <h3 style={{ margin: "0 0 6px" }}>Hosts over time</h3>
        <div className="chart" style={{ height: 220 }} data-testid="capacity-hosts-chart" role="img" aria-label="Hosts planned and hosts needed over the forecast horizon">
          <ResponsiveContainer width="100%" height="100%">
            <LineChart data={data} margin={{ top: 16, right: 12, bottom: 0, left: 0 }}>
              <CartesianGrid stroke="var(--border)" strokeDasharray="3 3" vertical={false} />
              {axis}
              <YAxis stroke="var(--text-muted)" fontSize={11} width={36} allowDecimals={false} domain={[0, (max: number) => Math.max(1, max + 1)]} />
              <Tooltip labelFormatter={(v) => formatDateTime(Number(v))} contentStyle={tooltipStyle} />
              <Legend />
              {marks}
              <Line type="stepAfter" dataKey="needed" name="hosts needed" stroke="#e67e22" dot={false} strokeWidth={1.5} isAnimationActive={false} />
              <Line type="stepAfter" dataKey="planned" name="hosts planned" stroke="#2980b9" dot={false} strokeWidth={2} isAnimationActive={false} />
            </LineChart>
          </ResponsiveContainer>
        </div>
      </div>
      <div>
        <h3 style={{ margin: "0 0 6px" }}>Forecast load vs capacity</h3>
        <div className="chart" style={{ height: 220 }} data-testid="capacity-load-chart" role="img" aria-label="Forecast cluster write rate against the planned capacity">
          <ResponsiveContainer width="100%" height="100%">
            <LineChart data={data} margin={{ top: 16, right: 12, bottom: 0, left: 0 }}>
              <CartesianGrid stroke="var(--border)" strokeDasharray="3 3" vertical={false} />
              {axis}
              <YAxis stroke="var(--text-muted)" fontSize={11} width={52} tickFormatter={(v: number) => formatRate(v)} />
              <Tooltip labelFormatter={(v) => formatDateTime(Number(v))} formatter={(v, name) => [formatRate(Number(v)), String(name)]} contentStyle={tooltipStyle} />
              <Legend />
              {marks}
              <Line type="monotone" dataKey="forecast" name="forecast load" stroke="#8e44ad" dot={false} strokeWidth={2} isAnimationActive={false} />
              {/* The load the hosts are bought for: the forecast times how far load has run above its forecasts. */}
              {data.some((d) => d.band !== undefined) ? (
                <Line type="monotone" dataKey="band" name="planned for (upper band)" stroke="#8e44ad" strokeDasharray="3 3" dot={false} strokeWidth={1} isAnimationActive={false} />
              ) : null}
              <Line type="stepAfter" dataKey="capacity" name="capacity" stroke="#c0392b" dot={false} strokeWidth={1.5} isAnimationActive={false} />
              <Line type="stepAfter" dataKey="target" name={`target (${formatPct(targetUtilization)})`} stroke="#c0392b" strokeDasharray="5 4" dot={false} strokeWidth={1} isAnimationActive={false} />
            </LineChart>
          </ResponsiveContainer>
        </div>
      </div>
    </div>
  );
}

/**
 * The capacity plan of the latest analyzer run over every stream: whether to add a host (and when
 * to ask for it so it is filled before the load), or to drain one in a trough, and why not.
 */
export function CapacityPanel() {
  const trpc = useTRPC();
  const q = useQuery(trpc.capacity.plan.queryOptions(undefined, { refetchInterval: 5_000, placeholderData: (prev) => prev }));
  const d = q.data;
  return (
    <section className="card" aria-labelledby="capacity-h" data-testid="capacity-panel">
      <div className="card-header">
        <div>
          <h2 id="capacity-h">Capacity plan</h2>
          <p className="muted" style={{ margin: "4px 0 0" }}>
            Hosts the cluster forecast needs. A host is asked for a lead ahead (provisioning plus copying its share at the copy budget), so it serves before the
            peak; a host is drained only in a trough long enough to pay for its bytes.
          </p>
        </div>
        {d ? (
          <span className="chips" style={{ flex: "none" }}>
            <span className={`badge ${d.settings.mode === "act" ? "badge-warn" : "badge-accent"}`} data-testid="capacity-mode" data-mode={d.settings.mode}>
              {d.settings.mode === "act" ? "act: adds and drains hosts itself" : "forecast only: operators approve"}
            </span>
          </span>
        ) : null}
      </div>
      <ErrorNote error={q.error} />
      {q.isPending ? <Loading what="capacity plan" /> : null}
      {d && !d.plan ? (
        <p className="empty" data-testid="capacity-empty">
          {emptyReason(d)}
        </p>
      ) : null}
      {d?.plan ? (
        <div data-testid="capacity-plan" data-run={d.run?.id}>
          <div className="chips" style={{ marginBottom: 10 }} data-testid="capacity-figures">
            <span className="chip">
              plan of <b>{d.run ? formatAgo(d.run.at) : "—"}</b>
              {d.run ? ` (${formatTime(d.run.at)})` : ""}
            </span>
            <span className="chip" data-testid="capacity-hosts-now">
              hosts now <b>{d.plan.hostsNow}</b>
            </span>
            <span className="chip">
              per host <b>{formatRate(d.plan.hostCapacity)}</b>
            </span>
            <span className="chip">
              lead of a new host <b>{secs(d.plan.leadSec)}</b>
            </span>
            <span className="chip">
              hosts <b>{d.settings.minHosts}</b>–<b>{d.settings.maxHosts}</b> at <b>{formatPct(d.settings.targetUtilization)}</b>
            </span>
          </div>
          {!d.settings.enabled ? (
            <div className="alert alert-info" role="status">
              Capacity planning has been turned off since this plan was made.
            </div>
          ) : null}
          <Decision plan={d.plan} />
          {d.plan.add || d.plan.drain ? (
            <p className="muted" style={{ marginTop: 6 }}>
              {d.settings.mode === "act"
                ? "In act mode the analyzer carries this out itself."
                : <>Operators approve it on the <Link href="/migrations">Migrations</Link> page (or below, among the analyzer proposals).</>}
            </p>
          ) : null}
          {d.plan.timeline.length > 0 ? <PlanCharts plan={d.plan} targetUtilization={d.settings.targetUtilization} /> : null}
          {d.plan.notes.length > 0 ? (
            <>
              <h3 style={{ marginBottom: 4 }}>Why not</h3>
              <ul className="change-list" data-testid="capacity-notes">
                {d.plan.notes.map((n) => (
                  <li key={n} data-testid="capacity-note">
                    {n}
                  </li>
                ))}
              </ul>
            </>
          ) : null}
        </div>
      ) : null}
    </section>
  );
}
