"use client";
import { formatAgo, formatDateTime } from "../../../../../lib/format.ts";
import { hashRange } from "../../../../../lib/health-colour.ts";
import type { OrchestratorNote, ShardletHealthRow } from "./types.ts";

const SHOWN = 50;

/** Why the orchestrator did (or did not) act on this stream's weak shardlets, newest first. */
export function OrchestratorNotes({ notes, shardlets }: { notes: readonly OrchestratorNote[]; shardlets: readonly ShardletHealthRow[] }) {
  const ranges = new Map(shardlets.map((s) => [s.id, hashRange(s.lo, s.hi)]));
  const sorted = [...notes].sort((a, b) => b.at.getTime() - a.at.getTime()).slice(0, SHOWN);
  return (
    <section className="card" aria-labelledby="notes-h">
      <div className="card-header">
        <h2 id="notes-h">Orchestrator notes</h2>
        <span className="muted">
          {notes.length > SHOWN ? `newest ${SHOWN} of ${notes.length}` : `${notes.length} note${notes.length === 1 ? "" : "s"}`}; its proposals are on the heatmap
        </span>
      </div>
      {sorted.length === 0 ? (
        <p className="empty" data-testid="notes-empty">
          No notes yet: every shardlet below the threshold got a proposal, or none was below it.
        </p>
      ) : (
        <div className="table-wrap">
          <table className="dense" data-testid="orchestrator-notes">
            <thead>
              <tr>
                <th scope="col">When</th>
                <th scope="col">Shardlet</th>
                <th scope="col">Note</th>
              </tr>
            </thead>
            <tbody>
              {sorted.map((n, i) => (
                <tr key={`${n.at.getTime()}-${i}`} data-testid="orchestrator-note">
                  <td title={formatDateTime(n.at)}>{formatAgo(n.at)}</td>
                  <td className="mono" title={n.shardletId ?? undefined}>
                    {n.shardletId === null ? <span className="muted">stream</span> : (ranges.get(n.shardletId) ?? `…${n.shardletId.slice(-8)}`)}
                  </td>
                  <td className="wrap">{n.message}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
