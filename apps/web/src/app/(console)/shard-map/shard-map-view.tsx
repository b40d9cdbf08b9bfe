"use client";
import Link from "next/link";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import type { inferRouterOutputs } from "@trpc/server";
import type { AppRouter } from "@shardcast/api";
import { ColourByToggle } from "../../../components/colour-by.tsx";
import { byName, SelectField } from "../../../components/fields.tsx";
import { rangeLabel } from "../../../components/shardlet-range.tsx";
import { ActionsHeader, ErrorNote, FullnessBar, Loading, Notice, PageHeader, RangeBar, StatusBadge } from "../../../components/ui.tsx";
import { useCan } from "../../../components/user-context.tsx";
import { formatAgo, formatBytes, formatDateTime, formatKeySpacePct, formatNumber, formatRate, formatTimeLeft, plural } from "../../../lib/format.ts";
import { healthLegend, scoredHealth, TONE_BADGE, useShardletHealth, type ColourBy } from "../../../lib/health-colour.ts";
import { useTRPC } from "../../../lib/trpc.ts";
import { SIZE_MEASURES, sizeText } from "../hosts/size-measures.ts";
import { HealthCell, healthRowProps } from "./health-cell.tsx";

type MapShardlet = inferRouterOutputs<AppRouter>["shardmap"]["byHost"]["hosts"][number]["shardlets"][number];
type LineageRef = Extract<MapShardlet["lineage"], { kind: "split" }>["parent"];

const refLabel = (r: LineageRef) => rangeLabel(r.range, r.id);

/** Where a shardlet came from: "split from 0x…–0x…" or "merged from 0x…–0x… + 0x…–0x…". */
function Lineage({ s }: { s: MapShardlet }) {
  const l = s.lineage;
  if (l.kind === "initial") return null;
  const title = l.kind === "split" ? `parent shardlet ${l.parent.id}` : `merged shardlets ${l.left.id} and ${l.right.id}`;
  return (
    <span className="lineage" title={`${title}; created ${formatDateTime(s.createdAt)}`} data-testid="shardlet-lineage" data-kind={l.kind}>
      {l.kind === "split" ? (
        <>
          split from <span className="nowrap">{refLabel(l.parent)}</span>
        </>
      ) : (
        // Two ranges do not fit one line of the column: the second may wrap.
        <>
          merged from <span className="nowrap">{refLabel(l.left)}</span> <span className="nowrap">+ {refLabel(l.right)}</span>
        </>
      )}
    </span>
  );
}

/** "Read replicas on host-2 (verified to 1,204), host-3 (dropping)": where consumers' range reads may also go. */
function replicasTitle(replicas: MapShardlet["replicas"]): string {
  const one = (r: MapShardlet["replicas"][number]) =>
    `${r.hostName} (${r.state === "dropping" ? "dropping" : r.verifiedSeq > 0 ? `verified to ${formatNumber(r.verifiedSeq)}` : "not synced yet"})`;
  return `Read replica${replicas.length === 1 ? "" : "s"} on ${replicas.map(one).join(", ")}`;
}

/** "history on host-1 until 12 Dec 2026, 14:00:00": where readers also find a live shardlet's older events (hand-offs' sealed sources). */
function HistoryElsewhere({ s }: { s: MapShardlet }) {
  if (s.historyElsewhere.length === 0) return null;
  const hosts = s.historyElsewhere;
  const title = hosts
    .map((h) => `${h.hostName}: ${plural(h.eventCount, "event")} (${formatBytes(h.sizeBytes)}) of this range's history, sealed by a hand-off, readable until ${formatDateTime(h.expiresAt)}`)
    .join("; ");
  return (
    <span className="lineage" title={title} data-testid="shardlet-history-elsewhere" data-hosts={hosts.map((h) => h.hostName).join(",")}>
      history on{" "}
      {hosts.map((h, i) => (
        <span key={h.hostId} className="nowrap">
          {i > 0 ? ", " : ""}
          {h.hostName} until {formatDateTime(h.expiresAt)}
        </span>
      ))}
    </span>
  );
}

/** A sealed shardlet's state note: until when its history stays readable here. */
function SealedUntil({ sealed }: { sealed: NonNullable<MapShardlet["sealed"]> }) {
  return (
    <span
      className="lineage"
      title={`Handed off ${formatDateTime(sealed.sealedAt)}: takes no writes; its history stays readable on this host until the stream's retention has passed since then.`}
      data-testid="shardlet-sealed-until"
    >
      history until {formatDateTime(sealed.expiresAt)} ({formatTimeLeft(sealed.expiresAt)})
    </span>
  );
}

/** Operator actions; they queue a job, the worker does the work under the shardlet's op-lock. */
function ShardletActions({
  s,
  busy,
  onSplit,
  onMerge,
}: {
  s: MapShardlet;
  busy: boolean;
  onSplit: (shardletId: string) => void;
  onMerge: (leftId: string, rightId: string) => void;
}) {
  if (s.state !== "active") return null;
  const right = s.mergeRightId;
  return (
    <div className="row-actions">
      <button type="button" className="secondary small" disabled={busy} onClick={() => onSplit(s.id)} data-testid="shardlet-split">
        Split now
      </button>
      {right ? (
        <button
          type="button"
          className="secondary small"
          disabled={busy}
          title="Merge with the adjacent shardlet to the right (same shard and host)"
          aria-label="Merge with right neighbour"
          onClick={() => onMerge(s.id, right)}
          data-testid="shardlet-merge"
        >
          Merge right →
        </button>
      ) : null}
    </div>
  );
}

export function ShardMapView() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const canOperate = useCan("operator");
  const [streamId, setStreamId] = useState("");
  const [includeRetired, setIncludeRetired] = useState(false);
  const [confirmation, setConfirmation] = useState<string | null>(null);
  const [colourBy, setColourBy] = useState<ColourBy>("load");
  const health = useShardletHealth(colourBy === "health");
  const streams = useQuery(trpc.streams.list.queryOptions(undefined, { refetchInterval: 10_000 }));
  const map = useQuery(
    trpc.shardmap.byHost.queryOptions({ includeRetired, ...(streamId ? { streamId } : {}) }, { refetchInterval: 2000, placeholderData: (previous) => previous }),
  );
  const onQueued = async (res: { message: string; jobId: string }) => {
    setConfirmation(`${res.message}${res.jobId ? ` Job ${res.jobId}.` : ""} The worker takes the shardlet's lock; the map updates when it is done.`);
    await queryClient.invalidateQueries({ queryKey: trpc.shardmap.byHost.queryKey() });
  };
  const split = useMutation(trpc.shardmap.split.mutationOptions({ onSuccess: onQueued, onMutate: () => setConfirmation(null) }));
  const merge = useMutation(trpc.shardmap.merge.mutationOptions({ onSuccess: onQueued, onMutate: () => setConfirmation(null) }));
  const busy = split.isPending || merge.isPending;
  const threshold = map.data?.splitThreshold;

  return (
    <>
      <PageHeader
        title="Shard map"
        subtitle="Every shardlet, per storage host: its hash range, fullness against the split threshold, state, fencing epoch and lineage. Sealed shardlets are what hand-offs left: history kept read-only where it was written until retention drops it. Refreshes every 2 seconds."
      >
        <div className="toolbar">
          <label className="checkbox">
            <input type="checkbox" checked={includeRetired} onChange={(e) => setIncludeRetired(e.target.checked)} data-testid="shardmap-show-retired" />
            Show retired
          </label>
          <ColourByToggle name="shardmap" value={colourBy} onChange={setColourBy} />
          <SelectField
            id="stream-filter"
            label="Stream"
            value={streamId}
            onChange={setStreamId}
            placeholder="All streams"
            items={byName(streams.data?.streams)}
            testId="shardmap-stream-filter"
            style={{ minWidth: 220, flex: "none" }}
          />
        </div>
      </PageHeader>
      <Notice message={confirmation} testId="shardmap-action-result" />
      <ErrorNote error={split.error ?? merge.error} testId="shardmap-action-error" />
      <ErrorNote error={map.error} />
      {colourBy === "health" ? (
        <div className="toolbar" style={{ marginBottom: 12 }} data-testid="health-legend" aria-label="Health colours">
          {healthLegend(health.threshold).map((b) => (
            <span key={b.tone} className={`badge ${TONE_BADGE[b.tone]}`}>
              {b.label}
            </span>
          ))}
          <span className="muted">
            {health.profilerEnabled ? "Against each stream's threshold; hover a row for its weakest component." : "The profiler is disabled: scores rest on load and size alone."}
          </span>
          <ErrorNote error={health.error} testId="shardmap-health-error" />
        </div>
      ) : null}
      {map.isPending ? <Loading what="shard map" /> : null}
      {map.data?.hosts.length === 0 ? <p className="empty">No storage host registered.</p> : null}
      {map.data?.hosts.map((h) => (
        <section key={h.id} className="card host-map" aria-labelledby={`host-${h.id}`} data-testid={`shardmap-host-${h.name}`}>
          <div className="host-map-head">
            <h2 id={`host-${h.id}`}>{h.name}</h2>
            <StatusBadge status={h.status} />
            <span className="muted">
              <span data-testid="shardmap-host-live">{plural(h.liveShardlets, "live shardlet")}</span> ·{" "}
              {plural(h.eventCount, "event")} ·{" "}
              <span title={SIZE_MEASURES.eventData.title} data-testid="shardmap-host-event-data">
                {sizeText(h.shardletBytes, "eventData")}
              </span>
              {h.history ? (
                <span
                  title={`Sealed by hand-offs: ${plural(h.history.eventCount, "event")} kept read-only until the streams' retention drops them; the first expires ${formatDateTime(h.history.firstExpiresAt)}.`}
                  data-testid="shardmap-host-history"
                  data-shardlets={h.history.shardlets}
                >
                  {" "}
                  · {plural(h.history.shardlets, "sealed shardlet")} ({formatBytes(h.history.sizeBytes)} of history until {formatDateTime(h.history.lastExpiresAt)})
                </span>
              ) : null}
            </span>
            <span className="spacer" />
            <span className="muted" title={SIZE_MEASURES.onDisk.title} data-testid="shardmap-host-on-disk">
              {SIZE_MEASURES.onDisk.label} {formatBytes(h.sizeBytes)} / {formatBytes(h.capacityBytes)}
            </span>
            <div style={{ width: 220 }} title={`${SIZE_MEASURES.onDisk.label} against the host's capacity.`}>
              <FullnessBar fraction={h.capacityBytes > 0 ? h.sizeBytes / h.capacityBytes : 0} label={`${h.name} fullness (on disk)`} />
            </div>
          </div>
          {h.shardlets.length === 0 ? (
            <p className="empty">No shardlets on this host.</p>
          ) : (
            <div className="table-wrap">
              <table className="dense" data-testid="shardmap-table">
                <thead>
                  <tr>
                    {streamId ? null : <th scope="col">Stream</th>}
                    <th scope="col">Hash range / lineage</th>
                    <th scope="col">Key space</th>
                    <th scope="col">State</th>
                    <th scope="col" className="num">
                      Epoch
                    </th>
                    <th scope="col" className="num">
                      Events
                    </th>
                    <th scope="col" className="num">
                      Writes
                    </th>
                    <th scope="col" className="num" title="Events that went through the shard's overflow log while this shardlet was locked">
                      Fallbacks
                    </th>
                    <th scope="col" title={SIZE_MEASURES.eventData.title}>
                      Fullness ({SIZE_MEASURES.eventData.label.toLowerCase()} / capacity)
                    </th>
                    {colourBy === "health" ? <th scope="col">Health</th> : null}
                    {canOperate ? <ActionsHeader /> : null}
                  </tr>
                </thead>
                <tbody>
                  {h.shardlets.map((s) => (
                    <tr
                      key={s.id}
                      className={s.state === "retired" || s.state === "sealed" ? s.state : undefined}
                      {...(colourBy === "health" ? healthRowProps(scoredHealth(health, s.id, s.streamName)) : {})}
                      data-testid="shardlet-row"
                      data-id={s.id}
                      data-stream={s.streamName}
                      data-state={s.state}
                      data-events={s.eventCount}
                    >
                      {streamId ? null : (
                        <td className="ellipsis" title={s.streamName}>
                          <Link href={`/streams/${encodeURIComponent(s.streamName)}`}>{s.streamName}</Link>
                        </td>
                      )}
                      <td>
                        <span className="mono" title={s.id} data-testid="shardlet-range">
                          {s.range.loHex}–{s.range.lastHex}
                        </span>
                        <Lineage s={s} />
                        {s.archived ? (
                          <span
                            className="lineage"
                            title={`${plural(s.archived.events, "event")} (${formatBytes(s.archived.bytes)} as written) ${s.archived.events === 1 ? "has its payload" : "have their payloads"} in the host's cold archive`}
                            data-testid="shardlet-archived"
                          >
                            archived {plural(s.archived.events, "event")}
                          </span>
                        ) : null}
                        {s.replicas.length > 0 ? (
                          <span className="lineage" title={replicasTitle(s.replicas)} data-testid="shardlet-replicated" data-hosts={s.replicas.map((r) => r.hostName).join(",")}>
                            replicated to {s.replicas.length === 1 ? s.replicas[0]?.hostName : `${s.replicas.length} hosts`}
                          </span>
                        ) : null}
                        <HistoryElsewhere s={s} />
                      </td>
                      <td>
                        <RangeBar
                          startPct={s.range.startPct}
                          widthPct={s.range.widthPct}
                          title={`${s.range.startPct.toFixed(2)}% – ${(s.range.startPct + s.range.widthPct).toFixed(2)}% of the key space`}
                        />
                        <span className="lineage">{formatKeySpacePct(s.range.widthPct)}</span>
                      </td>
                      <td>
                        <StatusBadge status={s.state} testId="shardlet-state" />
                        {s.sealed ? <SealedUntil sealed={s.sealed} /> : null}
                        {s.retiredAt ? (
                          <span className="lineage" title={formatDateTime(s.retiredAt)}>
                            {formatAgo(s.retiredAt)}
                          </span>
                        ) : null}
                      </td>
                      <td className="num" data-testid="shardlet-epoch">
                        {s.epoch}
                      </td>
                      <td className="num" data-testid="shardlet-events">
                        {formatNumber(s.eventCount)}
                      </td>
                      <td className="num">
                        {s.state === "sealed" ? (
                          <span className="muted" title="Sealed: its writes go to its successor on another host">
                            —
                          </span>
                        ) : (
                          formatRate(s.writeRate)
                        )}
                      </td>
                      <td className="num" data-testid="shardlet-fallbacks">
                        {formatNumber(s.fallbackCount)}
                      </td>
                      <td>
                        {s.state === "sealed" ? (
                          // It no longer grows or splits: its size is history, not fullness.
                          <span data-testid="shardlet-size">{formatBytes(s.sizeBytes)} of history</span>
                        ) : (
                          <>
                            <FullnessBar fraction={s.fullness} threshold={threshold} label={`shardlet ${s.range.loHex} fullness`} />
                            <span className="lineage" data-testid="shardlet-size">
                              {formatBytes(s.sizeBytes)} / {formatBytes(s.capacityBytes)}
                            </span>
                          </>
                        )}
                      </td>
                      {colourBy === "health" ? <HealthCell h={scoredHealth(health, s.id, s.streamName)} pending={health.pending} /> : null}
                      {canOperate ? (
                        <td>
                          <ShardletActions
                            s={s}
                            busy={busy}
                            onSplit={(shardletId) => split.mutate({ shardletId })}
                            onMerge={(leftId, rightId) => merge.mutate({ leftId, rightId })}
                          />
                        </td>
                      ) : null}
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
        </section>
      ))}
    </>
  );
}
