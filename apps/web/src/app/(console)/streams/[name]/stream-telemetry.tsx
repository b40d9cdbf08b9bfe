"use client";
import { useQuery } from "@tanstack/react-query";
import { ErrorNote } from "../../../../components/ui.tsx";
import { formatNumber } from "../../../../lib/format.ts";
import { useTRPC } from "../../../../lib/trpc.ts";

const WINDOW_MINUTES = 15;

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
        {keys.data && keys.data.keys.length === 0 ? (
          <p className="empty" data-testid="no-hot-keys">
            No traffic rolled up in this window yet.
          </p>
        ) : keys.data ? (
          <div className="table-wrap">
            <table data-testid="hot-keys-table">
              <thead>
                <tr>
                  <th scope="col">Key</th>
                  <th scope="col" className="num">
                    Writes
                  </th>
                  <th scope="col" className="num">
                    Reads
                  </th>
                  <th scope="col" className="num" title="The counts are what the key certainly had; it may have had up to this many more">
                    + up to
                  </th>
                </tr>
              </thead>
              <tbody>
                {keys.data.keys.map((k) => (
                  <tr key={k.key} data-testid="hot-key-row">
                    <td className="mono" title={`hash 0x${k.keyHash.toString(16).padStart(8, "0")}`}>
                      {k.key}
                    </td>
                    <td className="num">{formatNumber(k.writes)}</td>
                    <td className="num">{formatNumber(k.reads)}</td>
                    <td className="num muted">{k.error > 0 ? formatNumber(k.error) : "—"}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        ) : null}
      </section>
      <section className="card" aria-labelledby="top-clients-h">
        <div className="card-header">
          <h2 id="top-clients-h">Top clients</h2>
          <span className="muted">last {WINDOW_MINUTES} min, events read</span>
        </div>
        <ErrorNote error={clients.error} testId="top-clients-error" />
        {clients.data && clients.data.clients.length === 0 ? (
          <p className="empty" data-testid="no-top-clients">
            No reads in this window. Readers name themselves with the <code>x-shardcast-client</code> and{" "}
            <code>x-shardcast-client-group</code> headers.
          </p>
        ) : clients.data ? (
          <div className="table-wrap">
            <table data-testid="top-clients-table">
              <thead>
                <tr>
                  <th scope="col">Client</th>
                  <th scope="col">Group</th>
                  <th scope="col" className="num">
                    Reads
                  </th>
                  <th scope="col" className="num">
                    Shardlets
                  </th>
                </tr>
              </thead>
              <tbody>
                {clients.data.clients.map((c) => (
                  <tr key={`${c.client}/${c.clientGroup}`} data-testid="top-client-row">
                    <td className="mono">{c.client}</td>
                    <td>{c.clientGroup}</td>
                    <td className="num">{formatNumber(c.reads)}</td>
                    <td className="num">{c.shardlets}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        ) : null}
      </section>
    </div>
  );
}
