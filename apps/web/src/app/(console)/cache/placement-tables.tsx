"use client";
import { formatBytes, formatNumber, plural } from "../../../lib/format.ts";
import { ShardletLabel } from "./edge-table.tsx";
import type { PlacementData } from "./types.ts";

type Context = PlacementData["contexts"][number];
type Arm = Context["arms"][number];

/** raw ÷ stored, e.g. "4.2×"; "—" until anything is stored. */
export const compressionText = (raw: number, stored: number) => (stored > 0 ? `${(raw / stored).toFixed(1)}×` : "—");

function ArmCell({ a }: { a: Arm }) {
  if (!a.available) {
    return (
      <td className="num muted" data-testid="placement-arm" data-arm={a.arm} data-available="false">
        not available
      </td>
    );
  }
  return (
    <td className="num" data-testid="placement-arm" data-arm={a.arm} data-available="true" data-pulls={a.pulls}>
      {a.pulls === 0 ? (
        <span className="muted">untried</span>
      ) : (
        <span title={`${plural(a.pulls, "decision")}, mean reward ${a.mean.toFixed(3)}, upper bound ${a.ucb === null ? "none" : a.ucb.toFixed(3)}`}>
          mean <strong>{a.mean.toFixed(2)}</strong> · bound {a.ucb === null ? "—" : a.ucb.toFixed(2)} · {formatNumber(a.pulls)}×
        </span>
      )}
    </td>
  );
}

/**
 * The bandit's value of each arm in each context. Arms the placement job never pulls stay in the
 * table, marked, so it is clear they are not chosen rather than merely untried.
 */
export function ArmValuesTable({ contexts }: { contexts: readonly Context[] }) {
  const arms = contexts[0]?.arms ?? [];
  return (
    <div className="table-wrap">
      <table className="dense" data-testid="placement-arms">
        <thead>
          <tr>
            <th scope="col">Context</th>
            {arms.map((a) => (
              <th scope="col" className="num" key={a.arm}>
                {a.arm} {a.available ? null : <span className="badge">not available</span>}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {contexts.map((c) => (
            <tr key={c.context} data-testid="placement-context">
              <td className="mono">{c.context}</td>
              {c.arms.map((a) => (
                <ArmCell key={a.arm} a={a} />
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/** Per stream: archive batches and their bytes before and after compression. */
export function ArchiveTotalsTable({ totals }: { totals: PlacementData["totals"] }) {
  return (
    <div className="table-wrap">
      <table className="dense" data-testid="archive-totals">
        <thead>
          <tr>
            <th scope="col">Stream</th>
            <th scope="col" className="num">
              Batches
            </th>
            <th scope="col" className="num">
              Raw
            </th>
            <th scope="col" className="num">
              Stored
            </th>
            <th scope="col" className="num">
              Compression
            </th>
          </tr>
        </thead>
        <tbody>
          {totals.map((t) => (
            <tr key={t.streamId} data-testid="archive-total" data-stream={t.streamName}>
              <td>
                {t.streamName} {t.complete ? null : <span className="badge badge-warn" title="A host holding this stream did not answer: its batches are missing from the sums.">partial</span>}
              </td>
              <td className="num">{formatNumber(t.batches)}</td>
              <td className="num">{formatBytes(t.rawBytes)}</td>
              <td className="num">{formatBytes(t.storedBytes)}</td>
              <td className="num">{compressionText(t.rawBytes, t.storedBytes)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/** Shardlets with archived rows, largest archive first, with the host that holds them. */
export function ArchivedShardletsTable({ d }: { d: PlacementData }) {
  return (
    <div className="table-wrap">
      <table className="dense" data-testid="archived-shardlets">
        <thead>
          <tr>
            <th scope="col">Stream</th>
            <th scope="col">Shardlet</th>
            <th scope="col">Host</th>
            <th scope="col" className="num">
              Archived events
            </th>
            <th scope="col" className="num">
              Payload bytes
            </th>
            <th scope="col" className="num">
              Up to position
            </th>
          </tr>
        </thead>
        <tbody>
          {d.archived.map((a) => (
            <tr key={`${a.streamId}-${a.shardletId}`} data-testid="archived-shardlet" data-events={a.events}>
              <td>{a.streamName}</td>
              <td>
                <ShardletLabel id={a.shardletId} range={a.range} />
              </td>
              <td>{a.hostName}</td>
              <td className="num">{formatNumber(a.events)}</td>
              <td className="num">{formatBytes(a.bytes)}</td>
              <td className="num mono">{a.maxSeq === null ? "—" : a.maxSeq}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {d.archivedShardlets > d.archived.length ? (
        <p className="muted" style={{ fontSize: 12 }} data-testid="archived-shardlets-capped">
          The {d.archived.length} largest of {formatNumber(d.archivedShardlets)} archived shardlets.
        </p>
      ) : null}
    </div>
  );
}
