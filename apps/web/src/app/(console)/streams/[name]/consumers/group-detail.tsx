"use client";
import { useQuery } from "@tanstack/react-query";
import type { inferRouterOutputs } from "@trpc/server";
import type { AppRouter } from "@shardcast/api";
import { columns } from "../../../../../components/data-table-columns.tsx";
import { DataTable } from "../../../../../components/data-table.tsx";
import { ErrorNote, Loading } from "../../../../../components/ui.tsx";
import { formatAgo, formatDateTime, formatNumber, formatTime, lagText, plural } from "../../../../../lib/format.ts";
import { useTRPC } from "../../../../../lib/trpc.ts";
import { CheckpointChart } from "./checkpoint-chart.tsx";
import { DeleteGroup } from "./delete-group.tsx";
import { LagChart, useLagSamples } from "./lag-chart.tsx";
import { MEMBER_COLUMNS } from "./member-columns.tsx";
import { ReadForecastChart, readForecastNote } from "./read-forecast-chart.tsx";
import { ShardletCell } from "./shardlet-cell.tsx";
import { checkpointReason, eventShardlets, refIds, refLabel } from "./shardlet-refs.ts";

type Group = inferRouterOutputs<AppRouter>["consumers"]["group"];

const ASSIGNMENT_COLUMNS = columns<Group["assignments"][number]>([
  { id: "shardlet", header: "Shardlet (hash range)", sortBy: (a) => a.range?.lo, cell: (a) => <ShardletCell shardlet={{ id: a.shardletId, range: a.range }} /> },
  { id: "member", header: "Member", td: { "data-testid": "assignment-member" }, sortBy: (a) => a.memberName, cell: (a) => a.memberName ?? "unassigned" },
  { id: "generation", header: "Generation", sortBy: (a) => a.generation, cell: (a) => a.generation },
  { id: "committed", header: "Committed position", sortBy: (a) => a.committedSeq, cell: (a) => (a.committedSeq === null ? "—" : formatNumber(a.committedSeq)) },
  {
    id: "checkpoint",
    header: "Durable checkpoint",
    td: (a) => ({ title: a.checkpointAt ? formatDateTime(a.checkpointAt) : undefined }),
    sortBy: (a) => a.checkpointSeq,
    cell: (a) => (a.checkpointSeq === null ? "—" : formatNumber(a.checkpointSeq)),
  },
  { id: "lag", header: "Lag", td: { "data-testid": "assignment-lag" }, sortBy: (a) => a.lagEvents, cell: (a) => lagText(a.lagEvents, a.lagSeconds) },
  {
    id: "handoff",
    header: "Hand-off",
    td: (a) => ({
      "data-testid": "assignment-handoff",
      title: a.handoffDeadline ? `at the holder's next poll, or at ${formatDateTime(a.handoffDeadline)} at the latest` : undefined,
    }),
    sortBy: (a) => a.handoffTo,
    cell: (a) => (a.handoffTo ? `pending → ${a.handoffTo}` : "—"),
  },
]);

const CHECKPOINT_COLUMNS = columns<Group["checkpoints"][number]>([
  { id: "when", header: "When", sortBy: (c) => c.at, cell: (c) => formatTime(c.at) },
  { id: "shardlet", header: "Shardlet (hash range)", sortBy: (c) => c.range?.lo, cell: (c) => <ShardletCell shardlet={{ id: c.shardletId, range: c.range }} /> },
  { id: "position", header: "Position", sortBy: (c) => c.position, cell: (c) => formatNumber(c.position) },
  { id: "since", header: "Events since the last", sortBy: (c) => c.eventsSince, cell: (c) => formatNumber(c.eventsSince) },
  {
    id: "why",
    header: "Why",
    td: (c) => ({ className: "wrap", "data-testid": "checkpoint-reason", title: c.handedOnFrom.length > 0 ? refIds(c.handedOnFrom) : undefined }),
    sortBy: (c) => checkpointReason(c),
    cell: (c) => checkpointReason(c),
  },
]);

const EVENT_COLUMNS = columns<Group["events"][number]>([
  { id: "when", header: "When", sortBy: (e) => e.at, cell: (e) => formatTime(e.at) },
  { id: "what", header: "What", sortBy: (e) => e.kind, cell: (e) => e.kind },
  {
    id: "detail",
    header: "Detail",
    td: { className: "wrap" },
    cell: (e) => (
      <>
        {e.detail}
        {e.shardletRefs.length > 0 ? (
          <span className="lineage mono" title={refIds(e.shardletRefs)} data-testid="group-event-ranges">
            {eventShardlets(e.shardletRefs, e.shardlets)}
          </span>
        ) : null}
      </>
    ),
  },
]);

/** One group: who holds what, how far behind each shardlet is, why checkpoints were taken, and what happened to the group. */
export function GroupDetail({ stream, group, onDeleted }: { stream: string; group: string; onDeleted: (message: string) => void }) {
  const trpc = useTRPC();
  const q = useQuery(trpc.consumers.group.queryOptions({ stream, group, windowMinutes: 60 }, { refetchInterval: 3000 }));
  const lag = useLagSamples(q.data?.assignments);
  const d = q.data;
  if (!d) return q.isPending ? <Loading what={`group ${group}`} /> : <ErrorNote error={q.error} testId="group-error" />;
  const checkpoints = d.checkpoints.filter((c) => c.trigger !== "lineage");
  return (
    <>
      <ErrorNote error={q.error} testId="group-error" />
      {d.expiredUnread.events > 0 ? (
        <div className="alert alert-warning" role="status" data-testid="group-expired-unread">
          {plural(d.expiredUnread.events, "event")} expired before this group read them: the stream&apos;s retention forgot them
          {d.expiredUnread.lastAt ? `, most recently ${formatAgo(d.expiredUnread.lastAt)}` : ""}. The group reads on from the stream&apos;s start;
          keep its lag under the retention, or give the stream a longer one.
        </div>
      ) : null}
      <section className="card" aria-labelledby="members-h">
        <div className="card-header">
          <h2 id="members-h">Members of {d.group}</h2>
          <span className="muted">generation {d.generation}</span>
        </div>
        <DeleteGroup stream={stream} group={d.group} onDeleted={onDeleted} />
        <DataTable
          rows={d.members}
          columns={MEMBER_COLUMNS}
          rowKey={(m) => m.id}
          testId="members"
          rowProps={(m) => ({ "data-testid": `member-${m.name}` })}
          empty="No live member: the group's positions wait for the next one to join."
          emptyProps={{ "data-testid": "members-empty" }}
        />
      </section>

      <section className="card" aria-labelledby="assign-h">
        <h2 id="assign-h">Assignments and lag</h2>
        <DataTable
          rows={d.assignments}
          columns={ASSIGNMENT_COLUMNS}
          rowKey={(a) => a.shardletId}
          testId="assignments"
          rowProps={() => ({ "data-testid": "assignment" })}
          empty="The group holds no shardlet yet."
        />
      </section>

      <section className="card" aria-labelledby="ckpt-h">
        <div className="card-header">
          <h2 id="ckpt-h">Checkpoints and lag</h2>
          <span className="muted">{plural(checkpoints.length, "checkpoint")} in the last hour</span>
        </div>
        <div className="grid grid-2">
          <div>
            <h3>Checkpoints by predicted replay (s)</h3>
            <CheckpointChart
              points={checkpoints.map((c) => ({ at: c.at.getTime(), predictedReplaySec: c.predictedReplaySec, reason: checkpointReason(c), shardlet: refLabel({ id: c.shardletId, range: c.range }) }))}
            />
          </div>
          <div>
            <h3>Lag since this page was opened</h3>
            <LagChart samples={lag} />
            <p className="muted chart-caption">Events behind (solid, left axis) and the age of the oldest unconsumed event (dashed, right axis). Only the latest measurement is stored, so the chart starts when this page opens.</p>
          </div>
        </div>
        <DataTable rows={d.checkpoints} columns={CHECKPOINT_COLUMNS} rowKey={(c) => String(c.id)} testId="checkpoints" empty="No checkpoint in the last hour." />
      </section>

      <section className="card" aria-labelledby="group-reads-h">
        <h2 id="group-reads-h">Reads and their forecast</h2>
        <ReadForecastChart reads={d.reads} />
        <p className="muted chart-caption" data-testid="group-read-note">
          {readForecastNote(d.reads)}
        </p>
      </section>

      <section className="card" aria-labelledby="events-h">
        <h2 id="events-h">What happened to the group</h2>
        <p className="muted" style={{ marginTop: 0 }}>
          Joins, leaves and expired sessions; shardlets handed between members; and lineage hand-offs, where a split or merge passed a shardlet&apos;s position on to the shardlets that replaced it.
        </p>
        <DataTable
          rows={d.events}
          columns={EVENT_COLUMNS}
          rowKey={(e) => String(e.id)}
          testId="group-events"
          rowProps={(e) => ({ "data-testid": `group-event-${e.kind}` })}
          empty="Nothing has happened to the group yet."
        />
      </section>
    </>
  );
}
