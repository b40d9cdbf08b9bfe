"use client";
import Link from "next/link";
import type { inferRouterOutputs } from "@trpc/server";
import type { AppRouter } from "@shardcast/api";
import { ACTIONS_HEADER, columns } from "../../../components/data-table-columns.tsx";
import { DataTable } from "../../../components/data-table.tsx";
import { StatusBadge } from "../../../components/ui.tsx";
import { formatAgo, formatBytes, formatDateTime, formatRate } from "../../../lib/format.ts";
import { ApproveDrainButton, CapacityPlanFigures } from "./capacity-proposal.tsx";
import { formatUrgency } from "./urgency.ts";

export type Proposal = inferRouterOutputs<AppRouter>["analyzer"]["proposals"]["proposals"][number];

export interface ProposalActions {
  canOperate: boolean;
  busy: boolean;
  apply: (id: string) => void;
  dismiss: (id: string) => void;
  approveAddHost: (id: string) => void;
  /** Drains the proposal's host (asked to confirm first). */
  approveDrainHost: (id: string) => void;
  /** Opens the shardlet panel. */
  select?: (shardletId: string) => void;
}

const KIND_LABEL: Record<Proposal["kind"], string> = { split: "Split", migrate: "Move", add_host: "Add host", drain_host: "Drain host" };

function feasibility(p: Proposal): Array<{ name: string; ok: boolean; detail: string }> {
  const f = p.details?.feasibility;
  if (typeof f !== "object" || f === null) return [];
  return Object.entries(f as Record<string, { ok?: unknown; detail?: unknown }>).map(([name, c]) => ({
    name,
    ok: c.ok === true,
    detail: typeof c.detail === "string" ? c.detail : "",
  }));
}

function Target({ p, select }: { p: Proposal; select?: (id: string) => void }) {
  if (p.kind === "add_host") {
    const capacity = typeof p.details?.capacity === "number" ? p.details.capacity : null;
    const hostsNow = typeof p.details?.hostsNow === "number" ? p.details.hostsNow : null;
    return (
      <span>
        cluster
        {hostsNow !== null ? ` of ${hostsNow} host${hostsNow === 1 ? "" : "s"}` : capacity !== null ? ` (${formatRate(capacity)} of capacity now)` : ""}
      </span>
    );
  }
  if (p.kind === "drain_host") {
    return (
      <span>
        host <strong>{p.sourceHostName ?? "—"}</strong>
        <span className="lineage">its shardlets move to the other hosts</span>
      </span>
    );
  }
  const range = p.range ? `${p.range.loHex}–${p.range.lastHex}` : (p.shardletId ?? "").slice(-8);
  return (
    <span>
      {p.streamName}{" "}
      {select && p.shardletId ? (
        <button type="button" className="link mono" onClick={() => select(p.shardletId!)} data-testid="proposal-shardlet">
          {range}
        </button>
      ) : (
        <span className="mono">{range}</span>
      )}
      <span className="lineage">
        {p.kind === "migrate" ? (
          <>
            {p.sourceHostName} → {p.destHostName}
            {typeof p.details?.bytesToMove === "number" ? ` · ${formatBytes(p.details.bytesToMove)}` : ""}
          </>
        ) : (
          <>on {p.sourceHostName}</>
        )}
      </span>
    </span>
  );
}

function Provision({ p }: { p: Proposal }) {
  const prov = p.provision;
  if (!prov) return null;
  const status = typeof prov.status === "string" ? prov.status : "queued";
  const message = typeof prov.message === "string" ? prov.message : status === "queued" ? "provisioning queued" : "";
  return (
    <span className="lineage" data-testid="proposal-provision" data-status={status}>
      <StatusBadge status={status === "succeeded" ? "done" : status === "failed" ? "failed" : "running"} /> {message}
    </span>
  );
}

function Why({ p }: { p: Proposal }) {
  const checks = feasibility(p);
  return (
    <>
      <span className="clamp-text" title={p.reason}>
        {p.reason}
      </span>
      {p.plan ? <CapacityPlanFigures plan={p.plan} /> : null}
      {checks.length > 0 ? (
        <span className="chips">
          {checks.map((c) => (
            <span key={c.name} className={`badge ${c.ok ? "badge-ok" : "badge-danger"}`} title={c.detail} data-testid={`feasibility-${c.name}`}>
              {c.name} {c.ok ? "ok" : "no"}
            </span>
          ))}
        </span>
      ) : null}
    </>
  );
}

function Status({ p }: { p: Proposal }) {
  return (
    <>
      <StatusBadge status={p.status === "applied" ? "done" : p.status === "open" ? "pending" : p.status} testId="proposal-status" />
      {p.status !== "open" && p.status !== "superseded" && p.decidedBy ? <span className="lineage">by {p.decidedBy}</span> : null}
      {p.migrationId ? (
        <Link href="/migrations" className="lineage">
          migration …{p.migrationId.slice(-6)}
        </Link>
      ) : null}
      <Provision p={p} />
    </>
  );
}

function Actions({ p, actions }: { p: Proposal; actions: ProposalActions }) {
  if (p.status !== "open") return null;
  return (
    <div className="row-actions">
      {p.kind === "add_host" ? (
        <button type="button" className="small" disabled={actions.busy} onClick={() => actions.approveAddHost(p.id)} data-testid="proposal-approve-host">
          Approve: add host
        </button>
      ) : p.kind === "drain_host" ? (
        <ApproveDrainButton hostName={p.sourceHostName ?? "the host"} disabled={actions.busy} onConfirm={() => actions.approveDrainHost(p.id)} />
      ) : (
        <button type="button" className="small" disabled={actions.busy} onClick={() => actions.apply(p.id)} data-testid="proposal-apply">
          {p.kind === "split" ? "Split now" : "Approve move"}
        </button>
      )}
      <button type="button" className="secondary small" disabled={actions.busy} onClick={() => actions.dismiss(p.id)} data-testid="proposal-dismiss">
        Dismiss
      </button>
    </div>
  );
}

/** Analyzer proposals with urgency, reason, feasibility and (for operators) what to do about them. */
export function ProposalsTable({ proposals, actions, compact, testId }: { proposals: readonly Proposal[]; actions: ProposalActions; compact?: boolean; testId: string }) {
  const cols = columns<Proposal>([
    {
      id: "proposal",
      header: "Proposal",
      sortBy: (p) => p.kind,
      cell: (p) => (
        <>
          <strong>{KIND_LABEL[p.kind]}</strong>
          {p.source === "orchestrator" ? (
            <span className="badge badge-accent" style={{ marginLeft: 6 }} title="Proposed by the orchestrator from the data profiler's health scores" data-testid="proposal-source-orchestrator">
              orchestrator
            </span>
          ) : null}
          <span className="lineage" title={formatDateTime(p.createdAt)}>
            {formatAgo(p.createdAt)}
          </span>
        </>
      ),
    },
    {
      id: "target",
      header: "Target",
      td: { className: "wrap-tight" },
      sortBy: (p) => p.streamName ?? p.sourceHostName,
      cell: (p) => <Target p={p} {...(actions.select ? { select: actions.select } : {})} />,
    },
    {
      id: "urgency",
      header: "Urgency",
      title: "Time until the predicted overload, from the run's forecast start",
      td: { "data-testid": "proposal-urgency" },
      sortBy: (p) => p.urgencySec,
      cell: (p) => <span className={p.urgencySec !== null && p.urgencySec < 60 ? "error-text" : undefined}>{formatUrgency(p.urgencySec)}</span>,
    },
    !compact && {
      id: "benefit",
      header: "Benefit",
      title: "Predicted peak (splits) or events/s taken off the busier host (moves)",
      className: "num",
      sortBy: (p) => p.expectedBenefit,
      cell: (p) => formatRate(p.expectedBenefit),
    },
    { id: "why", header: "Why", td: { className: "clamp" }, sortBy: (p) => p.reason, cell: (p) => <Why p={p} /> },
    { id: "status", header: "Status", sortBy: (p) => p.status, cell: (p) => <Status p={p} /> },
    actions.canOperate && { id: "actions", header: ACTIONS_HEADER, cell: (p) => <Actions p={p} actions={actions} /> },
  ]);
  return (
    <DataTable
      rows={proposals}
      columns={cols}
      rowKey={(p) => p.id}
      testId={testId}
      className="dense"
      rowProps={(p) => ({ "data-testid": "proposal-row", "data-kind": p.kind, "data-status": p.status, "data-source": p.source, "data-id": p.id })}
      empty="No proposals."
      emptyProps={{ "data-testid": `${testId}-empty` }}
    />
  );
}
