"use client";
import type { inferRouterOutputs } from "@trpc/server";
import type { AppRouter } from "@shardcast/api";
import { formatAgo, formatDateTime, formatDuration, formatNumber } from "../lib/format.ts";
import { columns } from "./data-table-columns.tsx";
import { DataTable } from "./data-table.tsx";
import { summariseDetail } from "./detail-value.ts";
import { StatusBadge } from "./ui.tsx";

type Operation = inferRouterOutputs<AppRouter>["operations"]["list"]["operations"][number];

const hex = (n: number) => "0x" + Math.max(0, n).toString(16).padStart(8, "0");
function text(value: unknown): string {
  if (typeof value === "string") return value;
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  return JSON.stringify(value) ?? "";
}
const shortId = (id: unknown) => (typeof id === "string" ? `…${id.slice(-6)}` : text(id));
const count = (value: unknown) => (typeof value === "number" ? formatNumber(value) : text(value));

type Item = { label: string; value: string; title?: string; nested?: boolean };

function rangeLabel(lo: unknown, hi: unknown): string | null {
  return typeof lo === "number" && typeof hi === "number" ? `${hex(lo)}–${hex(hi - 1)}` : null;
}

/** A shardlet named in details: an id, or `{ id, lo, hi }` (shown as its range). */
function shardletLabel(value: unknown): { label: string; id: string } {
  if (value !== null && typeof value === "object") {
    const v = value as { id?: unknown; lo?: unknown; hi?: unknown };
    const id = text(v.id);
    return { label: rangeLabel(v.lo, v.hi) ?? shortId(v.id), id };
  }
  return { label: shortId(value), id: text(value) };
}

/** Keys shown elsewhere (the message, the job table) or only useful to machines. */
const HIDDEN = new Set(["jobId", "reason", "hi", "key"]);
/** The facts that matter most come first; unlisted keys follow in their recorded order. */
const ORDER = ["splitAt", "lo", "sources", "sourceIds", "children", "childIds", "count", "byShardlet", "rowsMoved", "drained", "eventsDrained", "attempts", "stepMs"];
const rank = (key: string) => (ORDER.includes(key) ? ORDER.indexOf(key) : ORDER.length);
const STEP_ORDER = ["planned", "locked", "fenced", "moving", "switching", "draining", "done"];
const stepRank = (step: string) => (STEP_ORDER.includes(step) ? STEP_ORDER.indexOf(step) : STEP_ORDER.length);

/**
 * The facts splits, merges and drains record (split point, children, rows moved, events drained,
 * step timings), labelled; anything else is shown as key = value.
 */
function detailItems(details: Record<string, unknown> | null): Item[] {
  if (!details) return [];
  const items: Item[] = [];
  for (const [key, value] of Object.entries(details).sort(([a], [b]) => rank(a) - rank(b))) {
    if (value === null || value === undefined || HIDDEN.has(key)) continue;
    switch (key) {
      case "splitAt":
        items.push({ label: "split at", value: typeof value === "number" ? hex(value) : text(value) });
        break;
      case "lo": {
        const range = rangeLabel(value, details.hi);
        if (range) items.push({ label: "range", value: range });
        break;
      }
      case "children":
      case "childIds":
      case "sources":
      case "sourceIds":
        if (Array.isArray(value)) {
          const list = value.map(shardletLabel);
          items.push({
            label: key.startsWith("child") ? "children" : "sources",
            value: list.map((l) => l.label).join(", "),
            title: list.map((l) => l.id).join(", "),
          });
        }
        break;
      case "rowsMoved":
        items.push({ label: "rows moved", value: count(value) });
        break;
      case "drained":
      case "eventsDrained":
        items.push({ label: "events drained", value: count(value) });
        break;
      case "count":
        items.push({ label: "events", value: count(value) });
        break;
      case "attempts":
        if (typeof value === "number" && value > 1) items.push({ label: "attempts", value: count(value) });
        break;
      case "byShardlet":
        if (typeof value === "object") {
          const entries = Object.entries(value as Record<string, unknown>);
          items.push({ label: "into", value: `${entries.length} shardlet${entries.length === 1 ? "" : "s"}`, title: entries.map(([id, n]) => `${id}: ${text(n)}`).join("\n") });
        }
        break;
      case "stepMs":
        if (typeof value === "object") {
          const steps = Object.entries(value as Record<string, unknown>)
            .filter(([, ms]) => typeof ms === "number")
            .sort(([a], [b]) => stepRank(a) - stepRank(b));
          items.push({ label: "steps", value: steps.map(([step, ms]) => `${step} ${formatDuration(ms as number)}`).join(" · ") });
        }
        break;
      case "changes":
        if (Array.isArray(value)) items.push({ label: "fields", value: value.map((c) => text((c as { field?: unknown }).field)).join(", ") });
        break;
      default: {
        const { text: summary, title, nested } = summariseDetail(value);
        items.push({ label: key, value: summary, title, nested });
      }
    }
  }
  return items;
}

function MessageCell({ o, compact }: { o: Operation; compact: boolean }) {
  const items = compact ? [] : detailItems(o.details);
  return (
    <>
      {compact ? <span className="clamp-text">{o.message}</span> : o.message}
      {o.actor && !compact ? <span className="muted"> · {o.actor}</span> : null}
      {items.length > 0 ? (
        <span className="chips" data-testid="operation-details">
          {items.map((it) => (
            <span key={it.label} className="chip" title={it.title}>
              {it.label} <b>{it.value}</b>
            </span>
          ))}
        </span>
      ) : null}
      {items.some((it) => it.nested) ? (
        <details className="details-raw" data-testid="operation-details-raw">
          <summary>all details</summary>
          <pre>{JSON.stringify(o.details, null, 2)}</pre>
        </details>
      ) : null}
    </>
  );
}

const operationColumns = (compact: boolean) =>
  columns<Operation>([
    { id: "when", header: "When", sortBy: (o) => o.startedAt, cell: (o) => formatAgo(o.startedAt), td: (o) => ({ title: formatDateTime(o.startedAt) }) },
    { id: "kind", header: "Kind", sortBy: (o) => o.kind, cell: (o) => <code>{o.kind}</code> },
    { id: "status", header: "Status", sortBy: (o) => o.status, cell: (o) => <StatusBadge status={o.status} /> },
    {
      id: "message",
      header: "Message",
      sortBy: (o) => o.message,
      cell: (o) => <MessageCell o={o} compact={compact} />,
      td: (o) => (compact ? { className: "clamp", title: o.message } : { className: "wrap" }),
    },
    !compact && { id: "duration", header: "Duration", className: "num", sortBy: (o) => o.durationMs, cell: (o) => (o.durationMs === null ? "—" : formatDuration(o.durationMs)) },
  ]);
const FULL = operationColumns(false);
const COMPACT = operationColumns(true);

/** `compact` drops the duration, actor and detail columns for narrow cards. */
export function OperationsTable({ operations, testId = "operations-table", compact = false }: { operations: Operation[]; testId?: string; compact?: boolean }) {
  return (
    <DataTable
      rows={operations}
      columns={compact ? COMPACT : FULL}
      rowKey={(o) => o.id}
      testId={testId}
      rowProps={(o) => ({ "data-testid": "operation-row", "data-kind": o.kind })}
      empty="No operations recorded yet."
    />
  );
}
