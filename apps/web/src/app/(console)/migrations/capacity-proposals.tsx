"use client";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { useState } from "react";
import { ACTIONS_HEADER, columns } from "../../../components/data-table-columns.tsx";
import { DataTable } from "../../../components/data-table.tsx";
import { ErrorNote, Loading, Notice, StatusBadge } from "../../../components/ui.tsx";
import { formatAgo, formatDateTime } from "../../../lib/format.ts";
import { useTRPC } from "../../../lib/trpc.ts";
import { ApproveDrainButton, CapacityPlanFigures } from "../heatmap/capacity-proposal.tsx";
import type { Proposal } from "../heatmap/proposals-table.tsx";

/**
 * The capacity plan's open proposals (add a host ahead of a forecast peak, drain one in a trough),
 * with their reasons and figures. Operators approve them here; viewers read them.
 */
export function CapacityProposals({ canOperate }: { canOperate: boolean }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [result, setResult] = useState<string | null>(null);
  const opts = { refetchInterval: 5_000, placeholderData: <T,>(prev: T | undefined) => prev };
  const adds = useQuery(trpc.analyzer.proposals.queryOptions({ status: "open", kind: "add_host", limit: 20 }, opts));
  const drains = useQuery(trpc.analyzer.proposals.queryOptions({ status: "open", kind: "drain_host", limit: 20 }, opts));
  const done = async (message: string) => {
    setResult(message);
    await Promise.all([
      queryClient.invalidateQueries({ queryKey: trpc.analyzer.proposals.queryKey() }),
      queryClient.invalidateQueries({ queryKey: trpc.migrations.planner.queryKey() }),
    ]);
  };
  const onMutate = () => setResult(null);
  const approveAdd = useMutation(trpc.analyzer.approveAddHost.mutationOptions({ onMutate, onSuccess: (r) => done(r.message) }));
  const approveDrain = useMutation(trpc.analyzer.approveDrainHost.mutationOptions({ onMutate, onSuccess: (r) => done(r.message) }));
  const dismiss = useMutation(trpc.analyzer.dismiss.mutationOptions({ onMutate, onSuccess: () => done("Proposal dismissed.") }));
  const busy = approveAdd.isPending || approveDrain.isPending || dismiss.isPending;
  const items: Proposal[] = [...(adds.data?.proposals ?? []), ...(drains.data?.proposals ?? [])];
  const cols = columns<Proposal>([
    {
      id: "proposal",
      header: "Proposal",
      td: { className: "nowrap" },
      sortBy: (p) => p.createdAt,
      cell: (p) => (
        <>
          <strong>{p.kind === "add_host" ? "Add host" : `Drain ${p.sourceHostName ?? "host"}`}</strong>
          {p.plan?.kind === "add_host" && p.plan.late ? (
            <span className="badge badge-danger" style={{ marginLeft: 6 }} title="The load arrives before a new host can be filled">
              late
            </span>
          ) : null}
          <span className="lineage" title={formatDateTime(p.createdAt)}>
            proposed {formatAgo(p.createdAt)}
          </span>
          <span className="lineage">
            <StatusBadge status="pending" />
          </span>
        </>
      ),
    },
    { id: "reason", header: "Reason", td: { className: "wrap", "data-testid": "capacity-proposal-reason" }, sortBy: (p) => p.reason, cell: (p) => p.reason },
    { id: "plan", header: "Plan", cell: (p) => (p.plan ? <CapacityPlanFigures plan={p.plan} /> : <span className="muted">—</span>) },
    canOperate && {
      id: "actions",
      header: ACTIONS_HEADER,
      cell: (p) => (
        <div className="row-actions" style={{ flexDirection: "column", alignItems: "stretch" }}>
          {p.kind === "add_host" ? (
            <button type="button" className="small" disabled={busy} onClick={() => approveAdd.mutate({ proposalId: p.id })} data-testid="proposal-approve-host">
              Approve: add host
            </button>
          ) : (
            <ApproveDrainButton hostName={p.sourceHostName ?? "the host"} disabled={busy} onConfirm={() => approveDrain.mutate({ proposalId: p.id })} />
          )}
          <button type="button" className="secondary small" disabled={busy} onClick={() => dismiss.mutate({ proposalId: p.id })} data-testid="proposal-dismiss">
            Dismiss
          </button>
        </div>
      ),
    },
  ]);

  return (
    <section className="card" aria-labelledby="capacity-proposals-h" data-testid="capacity-proposals">
      <div className="card-header">
        <h2 id="capacity-proposals-h">Capacity proposals</h2>
        <span className="muted">
          hosts to add or drain from the forecast · <Link href="/heatmap">the plan</Link>
        </span>
      </div>
      <Notice message={result} testId="capacity-proposals-result" />
      <ErrorNote error={approveAdd.error ?? approveDrain.error ?? dismiss.error} testId="capacity-proposals-error" />
      <ErrorNote error={adds.error ?? drains.error} />
      {adds.isPending || drains.isPending ? (
        <Loading what="capacity proposals" />
      ) : (
        <DataTable
          rows={items}
          columns={cols}
          rowKey={(p) => p.id}
          testId="capacity-proposals-table"
          rowProps={(p) => ({ "data-testid": "capacity-proposal-row", "data-kind": p.kind, "data-id": p.id })}
          empty="No host to add or drain: the latest capacity plan keeps the hosts as they are (its reasons are on the Heatmap page)."
          emptyProps={{ "data-testid": "capacity-proposals-empty" }}
        />
      )}
    </section>
  );
}
