"use client";
import { useQuery } from "@tanstack/react-query";
import type { inferRouterOutputs } from "@trpc/server";
import type { AppRouter } from "@shardcast/api";
import { columns } from "../../../../components/data-table-columns.tsx";
import { DataTable } from "../../../../components/data-table.tsx";
import { ErrorNote } from "../../../../components/ui.tsx";
import { formatNumber } from "../../../../lib/format.ts";
import { useTRPC } from "../../../../lib/trpc.ts";

const WINDOW_MINUTES = 15;

type Telemetry = inferRouterOutputs<AppRouter>["telemetry"];
type HotKey = Telemetry["hotKeys"]["keys"][number];
type TopClient = Telemetry["topClients"]["clients"][number];

const KEY_COLUMNS = columns<HotKey>([
  { id: "key", header: "Key", td: (k) => ({ className: "mono", title: `hash 0x${k.keyHash.toString(16).padStart(8, "0")}` }), sortBy: (k) => k.key, cell: (k) => k.key },
  { id: "writes", header: "Writes", className: "num", sortBy: (k) => k.writes, cell: (k) => formatNumber(k.writes) },
  { id: "reads", header: "Reads", className: "num", sortBy: (k) => k.reads, cell: (k) => formatNumber(k.reads) },
  {
    id: "error",
    header: "+ up to",
    title: "The counts are what the key certainly had; it may have had up to this many more",
    className: "num",
    td: { className: "muted" },
    sortBy: (k) => k.error,
    cell: (k) => (k.error > 0 ? formatNumber(k.error) : "—"),
  },
]);

const CLIENT_COLUMNS = columns<TopClient>([
  { id: "client", header: "Client", td: { className: "mono" }, sortBy: (c) => c.client, cell: (c) => c.client },
  { id: "group", header: "Group", sortBy: (c) => c.clientGroup, cell: (c) => c.clientGroup },
  { id: "reads", header: "Reads", className: "num", sortBy: (c) => c.reads, cell: (c) => formatNumber(c.reads) },
  { id: "shardlets", header: "Shardlets", className: "num", sortBy: (c) => c.shardlets, cell: (c) => c.shardlets },
]);

/** The stream's hot keys and top readers over the last minutes, from rolled-up telemetry. */
export function StreamTelemetry({ name }: { name: string }) {
  const trpc = useTRPC();
  const input = { stream: name, windowMinutes: WINDOW_MINUTES, limit: 10 };
  const keys = useQuery(trpc.telemetry.hotKeys.queryOptions(input, { refetchInterval: 10_000 }));
  const clients = useQuery(trpc.telemetry.topClients.queryOptions(input, { refetchInterval: 10_000 }));
  return (
    <div className="grid grid-2">
      <section className="card" aria-labelledby="hot-keys-h">
        <div className="card-header">
          <h2 id="hot-keys-h">Hot keys</h2>
          <span className="muted">last {WINDOW_MINUTES} min, writes + reads</span>
        </div>
        <ErrorNote error={keys.error} testId="hot-keys-error" />
        {keys.data ? (
          <DataTable
            rows={keys.data.keys}
            columns={KEY_COLUMNS}
            rowKey={(k) => k.key}
            testId="hot-keys-table"
            rowProps={() => ({ "data-testid": "hot-key-row" })}
            empty="No traffic rolled up in this window yet."
            emptyProps={{ "data-testid": "no-hot-keys" }}
          />
        ) : null}
      </section>
      <section className="card" aria-labelledby="top-clients-h">
        <div className="card-header">
          <h2 id="top-clients-h">Top clients</h2>
          <span className="muted">last {WINDOW_MINUTES} min, events read</span>
        </div>
        <ErrorNote error={clients.error} testId="top-clients-error" />
        {clients.data ? (
          <DataTable
            rows={clients.data.clients}
            columns={CLIENT_COLUMNS}
            rowKey={(c) => `${c.client}/${c.clientGroup}`}
            testId="top-clients-table"
            rowProps={() => ({ "data-testid": "top-client-row" })}
            empty={
              <>
                No reads in this window. Readers name themselves with the <code>x-shardcast-client</code> and <code>x-shardcast-client-group</code> headers.
              </>
            }
            emptyProps={{ "data-testid": "no-top-clients" }}
          />
        ) : null}
      </section>
    </div>
  );
}
