"use client";
import { useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { OperationsTable } from "../../../components/operations-table.tsx";
import { ErrorNote, Loading, PageHeader } from "../../../components/ui.tsx";
import { useTRPC } from "../../../lib/trpc.ts";
import { LifecycleJobsTable } from "./lifecycle-jobs-table.tsx";
import { PreallocPanel } from "./prealloc-panel.tsx";

const FILTERS = [
  { category: "all", label: "All" },
  { category: "splits", label: "Splits" },
  { category: "merges", label: "Merges" },
  { category: "contention", label: "Contention" },
  { category: "hosts", label: "Host events" },
] as const;
type Category = (typeof FILTERS)[number]["category"];

export function OperationsView() {
  const trpc = useTRPC();
  const [category, setCategory] = useState<Category>("all");
  const ops = useQuery(trpc.operations.list.queryOptions({ limit: 200, category }, { refetchInterval: 2000, placeholderData: (previous) => previous }));
  const jobs = useQuery(trpc.operations.lifecycleJobs.queryOptions({ limit: 30 }, { refetchInterval: 2000 }));
  return (
    <>
      <PageHeader
        title="Operations"
        subtitle="What the control plane did, newest first: splits, merges, contention, host events, stream and settings changes. Refreshes every 2 seconds."
      />
      <section className="card" aria-labelledby="jobs-h">
        <h2 id="jobs-h">Lifecycle jobs</h2>
        <ErrorNote error={jobs.error} />
        {jobs.isPending ? <Loading what="lifecycle jobs" /> : jobs.data ? <LifecycleJobsTable jobs={jobs.data.jobs} /> : null}
      </section>
      <PreallocPanel />
      <section className="card" aria-labelledby="ops-h">
        <h2 id="ops-h">Operations log</h2>
        <div className="segmented" role="group" aria-label="Show operations of kind">
          {FILTERS.map((f) => (
            <button
              key={f.category}
              type="button"
              aria-pressed={category === f.category}
              onClick={() => setCategory(f.category)}
              data-testid={`ops-filter-${f.category}`}
            >
              {f.label}
            </button>
          ))}
        </div>
        <ErrorNote error={ops.error} />
        {ops.isPending ? <Loading what="operations" /> : ops.data ? <OperationsTable operations={ops.data.operations} /> : null}
      </section>
    </>
  );
}
