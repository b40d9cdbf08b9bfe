"use client";
import Link from "next/link";
import type { inferRouterOutputs } from "@trpc/server";
import type { AppRouter } from "@shardcast/api";
import { ACTIONS_HEADER, columns } from "../../../components/data-table-columns.tsx";
import { DataTable } from "../../../components/data-table.tsx";
import { rangeLabel } from "../../../components/shardlet-range.tsx";
import { FullnessBar, RangeBar, StatusBadge } from "../../../components/ui.tsx";
import { formatAgo, formatBytes, formatDateTime, formatKeySpacePct, formatNumber, formatRate, formatTimeLeft, plural } from "../../../lib/format.ts";
import { scoredHealth, type ColourBy, type ShardletHealth } from "../../../lib/health-colour.ts";
import { SIZE_MEASURES } from "../hosts/size-measures.ts";
import { HealthBadge, healthRowProps } from "./health-cell.tsx";

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

export interface ShardletTableActions {
  busy: boolean;
  split: (shardletId: string) => void;
  merge: (leftId: string, rightId: string) => void;
}

function RangeCell({ s }: { s: MapShardlet }) {
  return (
    <>
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
    </>
  );
}

function Fullness({ s, threshold }: { s: MapShardlet; threshold: number | undefined }) {
  // A sealed shardlet no longer grows or splits: its size is history, not fullness.
  if (s.state === "sealed") return <span data-testid="shardlet-size">{formatBytes(s.sizeBytes)} of history</span>;
  return (
    <>
      <FullnessBar fraction={s.fullness} threshold={threshold} label={`shardlet ${s.range.loHex} fullness`} />
      <span className="lineage" data-testid="shardlet-size">
        {formatBytes(s.sizeBytes)} / {formatBytes(s.capacityBytes)}
      </span>
    </>
  );
}

/** One host's shardlets on the shard map; with a stream picked, its name is left off every row. */
export function ShardletTable({
  shardlets,
  showStream,
  colourBy,
  health,
  threshold,
  actions,
}: {
  shardlets: MapShardlet[];
  showStream: boolean;
  colourBy: ColourBy;
  health: ShardletHealth;
  threshold: number | undefined;
  /** Null for a viewer: no actions column. */
  actions: ShardletTableActions | null;
}) {
  const scored = (s: MapShardlet) => scoredHealth(health, s.id, s.streamName);
  const cols = columns<MapShardlet>([
    showStream && {
      id: "stream",
      header: "Stream",
      td: (s) => ({ className: "ellipsis", title: s.streamName }),
      sortBy: (s) => s.streamName,
      cell: (s) => <Link href={`/streams/${encodeURIComponent(s.streamName)}`}>{s.streamName}</Link>,
    },
    { id: "range", header: "Hash range / lineage", sortBy: (s) => s.range.lo, cell: (s) => <RangeCell s={s} /> },
    {
      id: "keySpace",
      header: "Key space",
      sortBy: (s) => s.range.widthPct,
      cell: (s) => (
        <>
          <RangeBar
            startPct={s.range.startPct}
            widthPct={s.range.widthPct}
            title={`${s.range.startPct.toFixed(2)}% – ${(s.range.startPct + s.range.widthPct).toFixed(2)}% of the key space`}
          />
          <span className="lineage">{formatKeySpacePct(s.range.widthPct)}</span>
        </>
      ),
    },
    {
      id: "state",
      header: "State",
      sortBy: (s) => s.state,
      cell: (s) => (
        <>
          <StatusBadge status={s.state} testId="shardlet-state" />
          {s.sealed ? <SealedUntil sealed={s.sealed} /> : null}
          {s.retiredAt ? (
            <span className="lineage" title={formatDateTime(s.retiredAt)}>
              {formatAgo(s.retiredAt)}
            </span>
          ) : null}
        </>
      ),
    },
    { id: "epoch", header: "Epoch", className: "num", td: { "data-testid": "shardlet-epoch" }, sortBy: (s) => s.epoch, cell: (s) => s.epoch },
    { id: "events", header: "Events", className: "num", td: { "data-testid": "shardlet-events" }, sortBy: (s) => s.eventCount, cell: (s) => formatNumber(s.eventCount) },
    {
      id: "writes",
      header: "Writes",
      className: "num",
      sortBy: (s) => (s.state === "sealed" ? null : s.writeRate),
      cell: (s) =>
        s.state === "sealed" ? (
          <span className="muted" title="Sealed: its writes go to its successor on another host">
            —
          </span>
        ) : (
          formatRate(s.writeRate)
        ),
    },
    {
      id: "fallbacks",
      header: "Fallbacks",
      title: "Events that went through the shard's overflow log while this shardlet was locked",
      className: "num",
      td: { "data-testid": "shardlet-fallbacks" },
      sortBy: (s) => s.fallbackCount,
      cell: (s) => formatNumber(s.fallbackCount),
    },
    {
      id: "fullness",
      header: `Fullness (${SIZE_MEASURES.eventData.label.toLowerCase()} / capacity)`,
      title: SIZE_MEASURES.eventData.title,
      sortBy: (s) => (s.state === "sealed" ? null : s.fullness),
      cell: (s) => <Fullness s={s} threshold={threshold} />,
    },
    colourBy === "health" && {
      id: "health",
      header: "Health",
      td: { "data-testid": "shardlet-health" },
      sortBy: (s) => scored(s)?.score.score,
      cell: (s) => <HealthBadge h={scored(s)} pending={health.pending} />,
    },
    actions && { id: "actions", header: ACTIONS_HEADER, cell: (s) => <ShardletActions s={s} busy={actions.busy} onSplit={actions.split} onMerge={actions.merge} /> },
  ]);
  return (
    <DataTable
      rows={shardlets}
      columns={cols}
      rowKey={(s) => s.id}
      testId="shardmap-table"
      className="dense"
      // The map is read whole, as splits and merges happen: a page holds a busy host's shardlets.
      pageSize={100}
      rowProps={(s) => ({
        className: s.state === "retired" || s.state === "sealed" ? s.state : undefined,
        ...(colourBy === "health" ? healthRowProps(scored(s)) : {}),
        "data-testid": "shardlet-row",
        "data-id": s.id,
        "data-stream": s.streamName,
        "data-state": s.state,
        "data-events": s.eventCount,
      })}
      empty="No shardlets on this host."
    />
  );
}
