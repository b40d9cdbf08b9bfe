"use client";
import Link from "next/link";
import type { ReactNode } from "react";
import { useQuery } from "@tanstack/react-query";
import { columns } from "../../../components/data-table-columns.tsx";
import { DataTable } from "../../../components/data-table.tsx";
import { ErrorNote, Loading, Stat } from "../../../components/ui.tsx";
import { formatAgo, formatBytes, formatDateTime, formatDuration, formatNumber } from "../../../lib/format.ts";
import { useTRPC } from "../../../lib/trpc.ts";
import { ShardletLabel } from "./edge-table.tsx";
import { ArchivedShardletsTable, ArchiveTotalsTable, ArmValuesTable, compressionText } from "./placement-tables.tsx";
import type { PlacementData } from "./types.ts";

type Decision = PlacementData["decisions"][number];

const ARM_TONE: Record<string, string> = { archive: "badge-accent", restore: "badge-warn", replicate: "badge-ok", move: "badge-ok", "cache-pin": "badge-ok", unpin: "badge-warn", leave: "" };

// The card's parts under one heading each, spaced like the cards they would otherwise be.
function SubHeading({ children }: { children: ReactNode }) {
  return <h3 style={{ margin: "18px 0 8px" }}>{children}</h3>;
}

function Reward({ d }: { d: Decision }) {
  switch (d.rewardState) {
    case "measured":
      return <strong>{(d.reward ?? 0).toFixed(2)}</strong>;
    case "pending":
      return (
        <span className="badge badge-accent" title="An archive: the next run measures what it saved and whether readers came back for it. A pin: measured once its shardlet is read while pinned. A move: measured from the reads after its migration is done.">
          pending
        </span>
      );
    case "unmeasured":
      return (
        <span className="muted" title="Nothing was archived, the shardlet split, merged or moved before the next run, a pin was undone before its shardlet was read, or a move's migration failed or was cancelled.">
          not measured
        </span>
      );
    default:
      return (
        <span className="muted" title="Leave earns the configured leave reward at once; a restore undoes an archive and is not rewarded; a replica earns its rewards run by run from the events it serves (see the arm values).">
          —
        </span>
      );
  }
}

const DECISION_COLUMNS = columns<Decision>([
  { id: "when", header: "When", td: (d) => ({ className: "nowrap", title: formatDateTime(d.at) }), sortBy: (d) => d.at, cell: (d) => formatAgo(d.at) },
  { id: "stream", header: "Stream", sortBy: (d) => d.streamName, cell: (d) => d.streamName ?? <span className="muted">deleted stream</span> },
  { id: "shardlet", header: "Shardlet", sortBy: (d) => d.range?.lo, cell: (d) => <ShardletLabel id={d.shardletId} range={d.range} /> },
  { id: "arm", header: "Arm", sortBy: (d) => d.arm, cell: (d) => <span className={`badge ${ARM_TONE[d.arm] ?? ""}`}>{d.arm}</span> },
  { id: "context", header: "Context", td: { className: "mono nowrap" }, sortBy: (d) => d.context, cell: (d) => d.context },
  { id: "reason", header: "Reason", td: { className: "wrap" }, sortBy: (d) => d.reason, cell: (d) => d.reason },
  { id: "reward", header: "Reward", className: "num", sortBy: (d) => d.reward, cell: (d) => <Reward d={d} /> },
]);

function DecisionsTable({ decisions }: { decisions: readonly Decision[] }) {
  return (
    <DataTable
      rows={decisions}
      columns={DECISION_COLUMNS}
      rowKey={(d) => `${d.at.getTime()}-${d.shardletId}-${d.arm}`}
      testId="placement-decisions"
      className="dense"
      rowProps={(d) => ({ "data-testid": "placement-decision", "data-arm": d.arm, "data-reward": d.rewardState })}
      empty="No placement decision yet."
    />
  );
}

function Totals({ d }: { d: PlacementData }) {
  const raw = d.totals.reduce((n, t) => n + t.rawBytes, 0);
  const stored = d.totals.reduce((n, t) => n + t.storedBytes, 0);
  return (
    <div className="stats" role="group" aria-label="Cold archive">
      <Stat label="Archived events" value={formatNumber(d.archivedEvents)} testId="placement-archived-events" />
      <Stat label="Raw → stored" value={`${formatBytes(raw)} → ${formatBytes(stored)}`} testId="placement-bytes" />
      <Stat label="Compression ratio" value={compressionText(raw, stored)} testId="placement-ratio" />
      <Stat label={d.settings.enabled ? "Last run" : "Last run (placement off)"} value={d.lastRunAt ? formatAgo(d.lastRunAt) : "not yet"} testId="placement-last-run" />
    </div>
  );
}

function Empty({ d }: { d: PlacementData }) {
  const rule = `placement archives payloads older than ${formatDuration(d.settings.archiveAfterSec * 1000)} once a shardlet holds ${formatBytes(d.settings.minArchiveBytes)} of them`;
  return (
    <p className="empty" data-testid="placement-empty" data-reason={d.settings.enabled ? "none" : "disabled"}>
      {d.settings.enabled ? `No archive decision yet: ${rule}.` : `Placement is off, so nothing is archived. Turned on, ${rule}.`}
    </p>
  );
}

/**
 * The cold archive and the placement bandit that fills it: how much is archived and how well it
 * compresses, which shardlets hold archived rows on which host, the bandit's arm values per context
 * and its latest decisions with the reward each earned.
 */
export function PlacementSection({ stream }: { stream: string }) {
  const trpc = useTRPC();
  const q = useQuery(
    trpc.cache.placement.queryOptions(stream ? { stream } : {}, {
      refetchInterval: 10_000,
      placeholderData: (prev) => ((prev?.stream?.name ?? "") === stream ? prev : undefined),
    }),
  );
  const d = q.data;
  const empty = d && d.decisions.length === 0 && d.archived.length === 0 && d.contexts.length === 0;
  return (
    <section className="card" aria-labelledby="placement-h" data-testid="placement-section">
      <div className="card-header">
        <h2 id="placement-h">Cold archive &amp; placement</h2>
        <span className="muted">
          {stream ? `${stream}; ` : ""}the placement job runs every minute · <Link href="/settings#placement-h">Settings</Link>
        </span>
      </div>
      <p className="muted" style={{ marginTop: 0 }}>
        Old payloads of a shardlet move into compressed batches on its host; reads resolve them in the same statement. A bandit learns per class of shardlet
        whether archiving saves bytes without readers coming back for them (its reward, measured one run later) or whether leaving it is worth more. A consumer
        group that needs archived rows gets them restored. The same bandit chooses whether to pin a shardlet whose reads miss the edges&apos; caches (its reward:
        the share of reads the pin turned into hits, run by run) and whether to give a hot shardlet a read replica.
      </p>
      <ErrorNote error={q.error} testId="placement-error" />
      {!d ? (
        q.isPending ? <Loading what="cold archive" /> : null
      ) : (
        <>
          {d.stateError ? (
            <div className="alert alert-warning" role="status" data-testid="placement-state-error">
              {d.stateError}
            </div>
          ) : null}
          {d.unreachable.length > 0 ? (
            <div className="alert alert-warning" role="status" data-testid="placement-unreachable">
              Not answering, so their archives are not counted: {d.unreachable.map((u) => `${u.hostName} (${u.message})`).join("; ")}.
            </div>
          ) : null}
          <Totals d={d} />
          {empty ? <Empty d={d} /> : null}
          {d.contexts.length > 0 ? (
            <>
              <SubHeading>Arm values per context</SubHeading>
              <p className="muted" style={{ marginTop: 0, fontSize: 12 }}>
                Mean reward, upper confidence bound (what the bandit compares) and decisions; leave earns {d.settings.leaveReward} each time, so archive (or, for a hot
                shardlet, replicate or move) is chosen while its bound is higher.
              </p>
              <ArmValuesTable contexts={d.contexts} />
            </>
          ) : null}
          {d.totals.length > 0 ? (
            <>
              <SubHeading>Archive by stream</SubHeading>
              <ArchiveTotalsTable totals={d.totals} />
            </>
          ) : null}
          {d.archived.length > 0 ? (
            <>
              <SubHeading>Archived shardlets</SubHeading>
              <ArchivedShardletsTable d={d} />
            </>
          ) : !empty ? (
            <p className="empty" data-testid="archived-shardlets-empty">
              No shardlet{stream ? ` of ${stream}` : ""} holds archived rows.
            </p>
          ) : null}
          {d.decisions.length > 0 ? (
            <>
              <SubHeading>Latest decisions</SubHeading>
              <DecisionsTable decisions={d.decisions} />
            </>
          ) : null}
        </>
      )}
    </section>
  );
}
