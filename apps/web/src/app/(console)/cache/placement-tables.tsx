"use client";
import { columns } from "../../../components/data-table-columns.tsx";
import { DataTable } from "../../../components/data-table.tsx";
import { formatBytes, formatNumber, plural } from "../../../lib/format.ts";
import { ShardletLabel } from "./edge-table.tsx";
import type { PlacementData } from "./types.ts";

type Context = PlacementData["contexts"][number];
type Arm = Context["arms"][number];

/** raw ÷ stored, e.g. "4.2×"; "—" until anything is stored. */
export const compressionText = (raw: number, stored: number) => (stored > 0 ? `${(raw / stored).toFixed(1)}×` : "—");

function ArmValue({ a }: { a: Arm }) {
  if (!a.available) return "not available";
  if (a.pulls === 0) return <span className="muted">untried</span>;
  return (
    <span title={`${plural(a.pulls, "decision")}, mean reward ${a.mean.toFixed(3)}, upper bound ${a.ucb === null ? "none" : a.ucb.toFixed(3)}`}>
      mean <strong>{a.mean.toFixed(2)}</strong> · bound {a.ucb === null ? "—" : a.ucb.toFixed(2)} · {formatNumber(a.pulls)}×
    </span>
  );
}

const armCellAttributes = (a: Arm | undefined) =>
  !a ? {} : a.available ? { "data-testid": "placement-arm", "data-arm": a.arm, "data-available": "true", "data-pulls": a.pulls } : { className: "muted", "data-testid": "placement-arm", "data-arm": a.arm, "data-available": "false" };

/**
 * The bandit's value of each arm in each context. Arms the placement job never pulls stay in the
 * table, marked, so it is clear they are not chosen rather than merely untried.
 */
export function ArmValuesTable({ contexts }: { contexts: readonly Context[] }) {
  const arms = contexts[0]?.arms ?? [];
  // Every context lists the same arms; a column finds its arm by name.
  const armOf = (c: Context, arm: string) => c.arms.find((a) => a.arm === arm);
  const cols = columns<Context>([
    { id: "context", header: "Context", td: { className: "mono" }, sortBy: (c) => c.context, cell: (c) => c.context },
    ...arms.map((first) => ({
      id: `arm-${first.arm}`,
      header: (
        <>
          {first.arm} {first.available ? null : <span className="badge">not available</span>}
        </>
      ),
      className: "num",
      td: (c: Context) => armCellAttributes(armOf(c, first.arm)),
      sortBy: (c: Context) => armOf(c, first.arm)?.mean,
      cell: (c: Context) => {
        const a = armOf(c, first.arm);
        return a ? <ArmValue a={a} /> : null;
      },
    })),
  ]);
  return (
    <DataTable
      rows={contexts}
      columns={cols}
      rowKey={(c) => c.context}
      testId="placement-arms"
      className="dense"
      rowProps={() => ({ "data-testid": "placement-context" })}
      empty="The bandit has no context yet."
    />
  );
}

const TOTAL_COLUMNS = columns<PlacementData["totals"][number]>([
  {
    id: "stream",
    header: "Stream",
    sortBy: (t) => t.streamName,
    cell: (t) => (
      <>
        {t.streamName} {t.complete ? null : <span className="badge badge-warn" title="A host holding this stream did not answer: its batches are missing from the sums.">partial</span>}
      </>
    ),
  },
  { id: "batches", header: "Batches", className: "num", sortBy: (t) => t.batches, cell: (t) => formatNumber(t.batches) },
  { id: "raw", header: "Raw", className: "num", sortBy: (t) => t.rawBytes, cell: (t) => formatBytes(t.rawBytes) },
  { id: "stored", header: "Stored", className: "num", sortBy: (t) => t.storedBytes, cell: (t) => formatBytes(t.storedBytes) },
  { id: "compression", header: "Compression", className: "num", sortBy: (t) => (t.storedBytes > 0 ? t.rawBytes / t.storedBytes : null), cell: (t) => compressionText(t.rawBytes, t.storedBytes) },
]);

/** Per stream: archive batches and their bytes before and after compression. */
export function ArchiveTotalsTable({ totals }: { totals: PlacementData["totals"] }) {
  return (
    <DataTable
      rows={totals}
      columns={TOTAL_COLUMNS}
      rowKey={(t) => t.streamId}
      testId="archive-totals"
      className="dense"
      rowProps={(t) => ({ "data-testid": "archive-total", "data-stream": t.streamName })}
      empty="Nothing is archived."
    />
  );
}

const ARCHIVED_COLUMNS = columns<PlacementData["archived"][number]>([
  { id: "stream", header: "Stream", sortBy: (a) => a.streamName, cell: (a) => a.streamName },
  { id: "shardlet", header: "Shardlet", sortBy: (a) => a.range?.lo, cell: (a) => <ShardletLabel id={a.shardletId} range={a.range} /> },
  { id: "host", header: "Host", sortBy: (a) => a.hostName, cell: (a) => a.hostName },
  { id: "events", header: "Archived events", className: "num", sortBy: (a) => a.events, cell: (a) => formatNumber(a.events) },
  { id: "bytes", header: "Payload bytes", className: "num", sortBy: (a) => a.bytes, cell: (a) => formatBytes(a.bytes) },
  { id: "maxSeq", header: "Up to position", className: "num", td: { className: "mono" }, sortBy: (a) => a.maxSeq, cell: (a) => (a.maxSeq === null ? "—" : a.maxSeq) },
]);

/** Shardlets with archived rows, largest archive first, with the host that holds them. */
export function ArchivedShardletsTable({ d }: { d: PlacementData }) {
  return (
    <>
      <DataTable
        rows={d.archived}
        columns={ARCHIVED_COLUMNS}
        rowKey={(a) => `${a.streamId}-${a.shardletId}`}
        testId="archived-shardlets"
        className="dense"
        rowProps={(a) => ({ "data-testid": "archived-shardlet", "data-events": a.events })}
        empty="No shardlet holds archived rows."
      />
      {d.archivedShardlets > d.archived.length ? (
        <p className="muted" style={{ fontSize: 12 }} data-testid="archived-shardlets-capped">
          The {d.archived.length} largest of {formatNumber(d.archivedShardlets)} archived shardlets.
        </p>
      ) : null}
    </>
  );
}
