"use client";
import { columns } from "../../../../../components/data-table-columns.tsx";
import { DataTable } from "../../../../../components/data-table.tsx";
import { formatAgo, formatDateTime } from "../../../../../lib/format.ts";
import { hashRange } from "../../../../../lib/health-colour.ts";
import type { OrchestratorNote, ShardletHealthRow } from "./types.ts";

const SHOWN = 50;

/** Why the orchestrator did (or did not) act on this stream's weak shardlets, newest first. */
export function OrchestratorNotes({ notes, shardlets }: { notes: readonly OrchestratorNote[]; shardlets: readonly ShardletHealthRow[] }) {
  const ranges = new Map(shardlets.map((s) => [s.id, hashRange(s.lo, s.hi)]));
  const lows = new Map(shardlets.map((s) => [s.id, s.lo]));
  const sorted = [...notes].sort((a, b) => b.at.getTime() - a.at.getTime()).slice(0, SHOWN);
  const cols = columns<OrchestratorNote>([
    { id: "when", header: "When", td: (n) => ({ title: formatDateTime(n.at) }), sortBy: (n) => n.at, cell: (n) => formatAgo(n.at) },
    {
      id: "shardlet",
      header: "Shardlet",
      td: (n) => ({ className: "mono", title: n.shardletId ?? undefined }),
      sortBy: (n) => (n.shardletId === null ? null : (lows.get(n.shardletId) ?? null)),
      cell: (n) => (n.shardletId === null ? <span className="muted">stream</span> : (ranges.get(n.shardletId) ?? `…${n.shardletId.slice(-8)}`)),
    },
    { id: "note", header: "Note", td: { className: "wrap" }, sortBy: (n) => n.message, cell: (n) => n.message },
  ]);
  return (
    <section className="card" aria-labelledby="notes-h">
      <div className="card-header">
        <h2 id="notes-h">Orchestrator notes</h2>
        <span className="muted">
          {notes.length > SHOWN ? `newest ${SHOWN} of ${notes.length}` : `${notes.length} note${notes.length === 1 ? "" : "s"}`}; its proposals are on the heatmap
        </span>
      </div>
      <DataTable
        rows={sorted}
        columns={cols}
        rowKey={(n, i) => `${n.at.getTime()}-${i}`}
        testId="orchestrator-notes"
        className="dense"
        rowProps={() => ({ "data-testid": "orchestrator-note" })}
        empty="No notes yet: every shardlet below the threshold got a proposal, or none was below it."
        emptyProps={{ "data-testid": "notes-empty" }}
      />
    </section>
  );
}
