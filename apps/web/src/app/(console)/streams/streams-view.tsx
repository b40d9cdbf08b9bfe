"use client";
import Link from "next/link";
import { useQuery } from "@tanstack/react-query";
import type { inferRouterOutputs } from "@trpc/server";
import type { AppRouter } from "@shardcast/api";
import { columns } from "../../../components/data-table-columns.tsx";
import { DataTable } from "../../../components/data-table.tsx";
import { ErrorNote, Loading, PageHeader } from "../../../components/ui.tsx";
import { useCan } from "../../../components/user-context.tsx";
import { formatAgo, formatBytes, formatNumber } from "../../../lib/format.ts";
import { useTRPC } from "../../../lib/trpc.ts";
import { CreateStreamForm } from "./create-stream-form.tsx";

type StreamRow = inferRouterOutputs<AppRouter>["streams"]["list"]["streams"][number];

const COLUMNS = columns<StreamRow>([
  { id: "name", header: "Name", sortBy: (s) => s.name, cell: (s) => <Link href={`/streams/${encodeURIComponent(s.name)}`}>{s.name}</Link> },
  { id: "keyField", header: "Key field", sortBy: (s) => s.keyField, cell: (s) => <code>{s.keyField}</code> },
  { id: "shards", header: "Shards", className: "num", sortBy: (s) => s.shardCount, cell: (s) => s.shardCount },
  { id: "shardlets", header: "Shardlets", className: "num", sortBy: (s) => s.shardletCount, cell: (s) => s.shardletCount },
  { id: "events", header: "Events", className: "num", sortBy: (s) => s.eventCount, cell: (s) => formatNumber(s.eventCount) },
  { id: "size", header: "Size", className: "num", sortBy: (s) => s.sizeBytes, cell: (s) => formatBytes(s.sizeBytes) },
  { id: "retention", header: "Retention", sortBy: (s) => s.retentionHours, cell: (s) => `${s.retentionHours} h` },
  { id: "created", header: "Created", sortBy: (s) => s.createdAt, cell: (s) => formatAgo(s.createdAt) },
]);

export function StreamsView() {
  const trpc = useTRPC();
  const canCreate = useCan("operator");
  const streams = useQuery(trpc.streams.list.queryOptions(undefined, { refetchInterval: 3000 }));
  return (
    <>
      <PageHeader title="Streams" subtitle="Named event logs, each cut into shards and shardlets over the 32-bit key-hash space." />
      {canCreate ? (
        <section className="card" aria-labelledby="create-h">
          <h2 id="create-h">Create a stream</h2>
          <CreateStreamForm />
        </section>
      ) : null}
      <section className="card" aria-labelledby="list-h">
        <h2 id="list-h">All streams</h2>
        <ErrorNote error={streams.error} />
        {streams.isPending ? (
          <Loading what="streams" />
        ) : streams.data ? (
          <DataTable rows={streams.data.streams} columns={COLUMNS} rowKey={(s) => s.id} testId="streams-table" rowProps={(s) => ({ "data-testid": `stream-row-${s.name}` })} empty="No streams yet." />
        ) : null}
      </section>
    </>
  );
}
