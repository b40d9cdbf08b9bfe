"use client";
import Link from "next/link";
import { useQuery } from "@tanstack/react-query";
import { ErrorNote, Loading, PageHeader } from "../../../components/ui.tsx";
import { useCan } from "../../../components/user-context.tsx";
import { formatAgo, formatBytes, formatNumber } from "../../../lib/format.ts";
import { useTRPC } from "../../../lib/trpc.ts";
import { CreateStreamForm } from "./create-stream-form.tsx";

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
        ) : streams.data && streams.data.streams.length === 0 ? (
          <p className="empty">No streams yet.</p>
        ) : streams.data ? (
          <div className="table-wrap">
            <table data-testid="streams-table">
              <thead>
                <tr>
                  <th scope="col">Name</th>
                  <th scope="col">Key field</th>
                  <th scope="col" className="num">
                    Shards
                  </th>
                  <th scope="col" className="num">
                    Shardlets
                  </th>
                  <th scope="col" className="num">
                    Events
                  </th>
                  <th scope="col" className="num">
                    Size
                  </th>
                  <th scope="col">Retention</th>
                  <th scope="col">Created</th>
                </tr>
              </thead>
              <tbody>
                {streams.data.streams.map((s) => (
                  <tr key={s.id} data-testid={`stream-row-${s.name}`}>
                    <td>
                      <Link href={`/streams/${encodeURIComponent(s.name)}`}>{s.name}</Link>
                    </td>
                    <td>
                      <code>{s.keyField}</code>
                    </td>
                    <td className="num">{s.shardCount}</td>
                    <td className="num">{s.shardletCount}</td>
                    <td className="num">{formatNumber(s.eventCount)}</td>
                    <td className="num">{formatBytes(s.sizeBytes)}</td>
                    <td>{s.retentionHours} h</td>
                    <td>{formatAgo(s.createdAt)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        ) : null}
      </section>
    </>
  );
}
