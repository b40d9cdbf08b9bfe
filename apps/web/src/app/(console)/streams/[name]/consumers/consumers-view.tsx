"use client";
import Link from "next/link";
import { useEffect, useState } from "react";
import { useQuery } from "@tanstack/react-query";
import { ErrorNote, Loading, Notice, PageHeader } from "../../../../../components/ui.tsx";
import { formatAgo, formatNumber, lagText } from "../../../../../lib/format.ts";
import { useTRPC } from "../../../../../lib/trpc.ts";
import { GroupDetail } from "./group-detail.tsx";

export function ConsumersView({ name }: { name: string }) {
  const trpc = useTRPC();
  const groups = useQuery(trpc.consumers.groups.queryOptions({ stream: name }, { refetchInterval: 3000 }));
  const [selected, setSelected] = useState<string | null>(null);
  const [deleted, setDeleted] = useState<string | null>(null);
  const list = groups.data?.groups ?? [];
  useEffect(() => {
    if (selected === null && list[0]) setSelected(list[0].group);
  }, [list, selected]);
  return (
    <>
      <PageHeader title={`Consumers of ${name}`} subtitle={<Link href={`/streams/${encodeURIComponent(name)}`}>Back to the stream</Link>} />
      <ErrorNote error={groups.error} testId="consumers-error" />
      <Notice message={deleted} testId="group-deleted" />
      {groups.isPending ? (
        <Loading what="consumer groups" />
      ) : list.length === 0 ? (
        <section className="card">
          <div className="empty" data-testid="consumers-empty">
            No consumer group reads this stream yet. A service joins one with the client SDK (or <code>POST /v1/streams/{name}/groups/&lt;group&gt;/members</code> on the edge).
          </div>
        </section>
      ) : (
        <>
          <section className="card" aria-labelledby="groups-h">
            <h2 id="groups-h">Groups</h2>
            <div className="table-wrap">
            <table data-testid="consumer-groups">
              <thead>
                <tr>
                  <th>Group</th>
                  <th>Members</th>
                  <th>Shardlets</th>
                  <th>Lag</th>
                  <th>Checkpoints (1 h)</th>
                  <th>Last checkpoint</th>
                </tr>
              </thead>
              <tbody>
                {list.map((g) => (
                  <tr key={g.group} aria-selected={g.group === selected} className={g.group === selected ? "selected" : undefined}>
                    <td>
                      <button type="button" className="secondary" onClick={() => setSelected(g.group)} data-testid={`group-${g.group}`}>
                        {g.group}
                      </button>
                    </td>
                    <td>{g.members}</td>
                    <td>{g.shardlets}</td>
                    <td>
                      {lagText(g.lagEvents, g.maxLagSeconds)}
                      {g.expiredUnreadEvents > 0 ? (
                        <span className="badge badge-warn" title="Events that expired before the group read them" data-testid={`group-expired-${g.group}`}>
                          {formatNumber(g.expiredUnreadEvents)} expired unread
                        </span>
                      ) : null}
                    </td>
                    <td>{g.checkpointsLastHour}</td>
                    <td>{g.lastCheckpointAt ? formatAgo(g.lastCheckpointAt) : "none yet"}</td>
                  </tr>
                ))}
              </tbody>
            </table>
            </div>
          </section>
          {selected ? (
            <GroupDetail
              key={selected}
              stream={name}
              group={selected}
              onDeleted={(message) => {
                setDeleted(message);
                setSelected(null);
              }}
            />
          ) : null}
        </>
      )}
    </>
  );
}
