"use client";
import { useQuery } from "@tanstack/react-query";
import { ErrorNote, Loading } from "../../../../../components/ui.tsx";
import { formatAgo, formatDateTime, formatNumber, formatTime, lagText, plural } from "../../../../../lib/format.ts";
import { useTRPC } from "../../../../../lib/trpc.ts";
import { CheckpointChart } from "./checkpoint-chart.tsx";
import { DeleteGroup } from "./delete-group.tsx";
import { LagChart, useLagSamples } from "./lag-chart.tsx";
import { ShardletCell } from "./shardlet-cell.tsx";
import { checkpointReason, eventShardlets, refIds, refLabel } from "./shardlet-refs.ts";

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
        {d.members.length === 0 ? (
          <div className="empty" data-testid="members-empty">
            No live member: the group&apos;s positions wait for the next one to join.
          </div>
        ) : (
          <div className="table-wrap">
          <table data-testid="members">
            <thead>
              <tr>
                <th>Member</th>
                <th>Shardlets</th>
                <th>Lag (events)</th>
                <th>Joined</th>
                <th>Last seen</th>
              </tr>
            </thead>
            <tbody>
              {d.members.map((m) => (
                <tr key={m.id} data-testid={`member-${m.name}`}>
                  <td>{m.name}</td>
                  <td data-testid={`member-${m.name}-shardlets`}>{m.shardlets}</td>
                  <td>{formatNumber(m.lagEvents)}</td>
                  <td>{formatDateTime(m.joinedAt)}</td>
                  <td>{formatAgo(m.lastSeenAt)}</td>
                </tr>
              ))}
            </tbody>
          </table>
          </div>
        )}
      </section>

      <section className="card" aria-labelledby="assign-h">
        <h2 id="assign-h">Assignments and lag</h2>
        <div className="table-wrap">
        <table data-testid="assignments">
          <thead>
            <tr>
              <th>Shardlet (hash range)</th>
              <th>Member</th>
              <th>Generation</th>
              <th>Committed position</th>
              <th>Durable checkpoint</th>
              <th>Lag</th>
              <th>Hand-off</th>
            </tr>
          </thead>
          <tbody>
            {d.assignments.map((a) => (
              <tr key={a.shardletId} data-testid="assignment">
                <td>
                  <ShardletCell shardlet={{ id: a.shardletId, range: a.range }} />
                </td>
                <td data-testid="assignment-member">{a.memberName ?? "unassigned"}</td>
                <td>{a.generation}</td>
                <td>{a.committedSeq === null ? "—" : formatNumber(a.committedSeq)}</td>
                <td title={a.checkpointAt ? formatDateTime(a.checkpointAt) : undefined}>{a.checkpointSeq === null ? "—" : formatNumber(a.checkpointSeq)}</td>
                <td data-testid="assignment-lag">{lagText(a.lagEvents, a.lagSeconds)}</td>
                <td data-testid="assignment-handoff" title={a.handoffDeadline ? `at the holder's next poll, or at ${formatDateTime(a.handoffDeadline)} at the latest` : undefined}>
                  {a.handoffTo ? `pending → ${a.handoffTo}` : "—"}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
        </div>
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
        <div className="table-wrap">
        <table data-testid="checkpoints">
          <thead>
            <tr>
              <th>When</th>
              <th>Shardlet (hash range)</th>
              <th>Position</th>
              <th>Events since the last</th>
              <th>Why</th>
            </tr>
          </thead>
          <tbody>
            {d.checkpoints.slice(0, 30).map((c) => (
              <tr key={c.id}>
                <td>{formatTime(c.at)}</td>
                <td>
                  <ShardletCell shardlet={{ id: c.shardletId, range: c.range }} />
                </td>
                <td>{formatNumber(c.position)}</td>
                <td>{formatNumber(c.eventsSince)}</td>
                <td className="wrap" data-testid="checkpoint-reason" title={c.handedOnFrom.length > 0 ? refIds(c.handedOnFrom) : undefined}>
                  {checkpointReason(c)}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
        </div>
      </section>

      <section className="card" aria-labelledby="events-h">
        <h2 id="events-h">What happened to the group</h2>
        <p className="muted" style={{ marginTop: 0 }}>
          Joins, leaves and expired sessions; shardlets handed between members; and lineage hand-offs, where a split or merge passed a shardlet&apos;s position on to the shardlets that replaced it.
        </p>
        <div className="table-wrap">
        <table data-testid="group-events">
          <thead>
            <tr>
              <th>When</th>
              <th>What</th>
              <th>Detail</th>
            </tr>
          </thead>
          <tbody>
            {d.events.slice(0, 50).map((e) => (
              <tr key={e.id} data-testid={`group-event-${e.kind}`}>
                <td>{formatTime(e.at)}</td>
                <td>{e.kind}</td>
                <td className="wrap">
                  {e.detail}
                  {e.shardletRefs.length > 0 ? (
                    <span className="lineage mono" title={refIds(e.shardletRefs)} data-testid="group-event-ranges">
                      {eventShardlets(e.shardletRefs, e.shardlets)}
                    </span>
                  ) : null}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
        </div>
      </section>
    </>
  );
}
