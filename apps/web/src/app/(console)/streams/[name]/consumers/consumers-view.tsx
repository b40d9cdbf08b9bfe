"use client";
import Link from "next/link";
import { useEffect, useState } from "react";
import { useQuery } from "@tanstack/react-query";
import type { inferRouterOutputs } from "@trpc/server";
import type { AppRouter } from "@shardcast/api";
import { columns } from "../../../../../components/data-table-columns.tsx";
import { DataTable } from "../../../../../components/data-table.tsx";
import { ErrorNote, Loading, Notice, PageHeader } from "../../../../../components/ui.tsx";
import { formatAgo, formatNumber, lagText } from "../../../../../lib/format.ts";
import { useTRPC } from "../../../../../lib/trpc.ts";
import { GroupDetail } from "./group-detail.tsx";

type Group = inferRouterOutputs<AppRouter>["consumers"]["groups"]["groups"][number];

export function ConsumersView({ name }: { name: string }) {
  const trpc = useTRPC();
  const groups = useQuery(trpc.consumers.groups.queryOptions({ stream: name }, { refetchInterval: 3000 }));
  const [selected, setSelected] = useState<string | null>(null);
  const [deleted, setDeleted] = useState<string | null>(null);
  const list = groups.data?.groups ?? [];
  const cols = columns<Group>([
    {
      id: "group",
      header: "Group",
      sortBy: (g) => g.group,
      cell: (g) => (
        <button type="button" className="secondary" onClick={() => setSelected(g.group)} data-testid={`group-${g.group}`}>
          {g.group}
        </button>
      ),
    },
    { id: "members", header: "Members", sortBy: (g) => g.members, cell: (g) => g.members },
    { id: "shardlets", header: "Shardlets", sortBy: (g) => g.shardlets, cell: (g) => g.shardlets },
    {
      id: "lag",
      header: "Lag",
      sortBy: (g) => g.lagEvents,
      cell: (g) => (
        <>
          {lagText(g.lagEvents, g.maxLagSeconds)}
          {g.expiredUnreadEvents > 0 ? (
            <span className="badge badge-warn" title="Events that expired before the group read them" data-testid={`group-expired-${g.group}`}>
              {formatNumber(g.expiredUnreadEvents)} expired unread
            </span>
          ) : null}
        </>
      ),
    },
    { id: "checkpoints", header: "Checkpoints (1 h)", sortBy: (g) => g.checkpointsLastHour, cell: (g) => g.checkpointsLastHour },
    { id: "last", header: "Last checkpoint", sortBy: (g) => g.lastCheckpointAt, cell: (g) => (g.lastCheckpointAt ? formatAgo(g.lastCheckpointAt) : "none yet") },
  ]);
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
      ) : (
        <>
          <section className="card" aria-labelledby={list.length > 0 ? "groups-h" : undefined}>
            {list.length > 0 ? <h2 id="groups-h">Groups</h2> : null}
            <DataTable
              rows={list}
              columns={cols}
              rowKey={(g) => g.group}
              testId="consumer-groups"
              rowProps={(g) => ({ "aria-selected": g.group === selected, className: g.group === selected ? "selected" : undefined })}
              empty={
                <>
                  No consumer group reads this stream yet. A service joins one with the client SDK (or <code>POST /v1/streams/{name}/groups/&lt;group&gt;/members</code> on
                  the edge).
                </>
              }
              emptyProps={{ "data-testid": "consumers-empty" }}
            />
          </section>
          {selected && list.length > 0 ? (
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
