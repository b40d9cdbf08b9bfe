"use client";
import { useQuery } from "@tanstack/react-query";
import { OperationsTable } from "../../../components/operations-table.tsx";
import { ErrorNote, Loading, PageHeader } from "../../../components/ui.tsx";
import { useTRPC } from "../../../lib/trpc.ts";

export function OperationsView() {
  const trpc = useTRPC();
  const ops = useQuery(trpc.operations.list.queryOptions({ limit: 200 }, { refetchInterval: 3000 }));
  return (
    <>
      <PageHeader title="Operations" subtitle="What the control plane did: stream and host changes, health checks, accounting runs." />
      <section className="card">
        <ErrorNote error={ops.error} />
        {ops.isPending ? <Loading what="operations" /> : ops.data ? <OperationsTable operations={ops.data.operations} /> : null}
      </section>
    </>
  );
}
