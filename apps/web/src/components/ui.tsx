"use client";
import { useState, type ReactNode } from "react";
import { errorMessage } from "../lib/errors.ts";
import { formatPct } from "../lib/format.ts";
import { useCan } from "./user-context.tsx";

export function ErrorNote({ error, testId }: { error: unknown; testId?: string }) {
  if (!error) return null;
  return (
    <div className="alert alert-error" role="alert" data-testid={testId ?? "error"}>
      {errorMessage(error)}
    </div>
  );
}

/** The outcome of an action that went through; nothing while there is none. */
export function Notice({ message, testId }: { message: string | null; testId: string }) {
  if (!message) return null;
  return (
    <div className="alert alert-ok" role="status" data-testid={testId}>
      {message}
    </div>
  );
}

/** Its children for admins; anyone else is told the page manages what only admins may. */
export function AdminOnly({ what, children }: { what: string; children: ReactNode }) {
  const isAdmin = useCan("admin");
  if (isAdmin) return children;
  return (
    <div className="alert alert-info" role="status" data-testid="admin-only">
      {`Only admins can manage ${what}.`}
    </div>
  );
}

export function Loading({ what }: { what: string }) {
  return (
    <p className="muted" role="status" aria-live="polite">
      Loading {what}…
    </p>
  );
}

/** One figure of a `.stats` row, its value carrying `testId`. */
export function Stat({ label, value, testId }: { label: string; value: string; testId: string }) {
  return (
    <div className="stat">
      <div className="stat-label">{label}</div>
      <div className="stat-value" data-testid={testId}>
        {value}
      </div>
    </div>
  );
}

export function PageHeader({ title, subtitle, children }: { title: string; subtitle?: ReactNode; children?: ReactNode }) {
  return (
    <header className="page-header">
      <div>
        <h1>{title}</h1>
        {subtitle ? <p>{subtitle}</p> : null}
      </div>
      {children}
    </header>
  );
}

const STATUS_TONE: Record<string, string> = {
  active: "badge-ok",
  pending: "badge-accent",
  succeeded: "badge-ok",
  done: "badge-ok",
  running: "badge-accent",
  draining: "badge-warn",
  splitting: "badge-warn",
  merging: "badge-warn",
  migrating: "badge-warn",
  down: "badge-danger",
  failed: "badge-danger",
  revoked: "badge-danger",
  disabled: "badge-danger",
  // Handed off: read-only history, neither live nor gone.
  sealed: "badge-sealed",
  retired: "",
};

export function StatusBadge({ status, testId }: { status: string; testId?: string }) {
  return (
    <span className={`badge ${STATUS_TONE[status] ?? ""}`} data-testid={testId}>
      {status}
    </span>
  );
}

/**
 * Fullness as a bar with the percentage beside it. Without a threshold: green, amber from 60%, red
 * from 80%. With one (the split threshold): red past it, amber from three quarters of it, and a
 * tick where it lies.
 */
export function FullnessBar({ fraction, label, threshold }: { fraction: number; label?: string; threshold?: number }) {
  const pct = Math.max(0, Math.min(1, fraction));
  const danger = threshold ?? 0.8;
  const warn = threshold !== undefined ? threshold * 0.75 : 0.6;
  const tone = fraction >= danger ? "danger" : fraction >= warn ? "warn" : "";
  return (
    <div className="bar-with-label">
      <div
        className="bar"
        role="meter"
        aria-valuemin={0}
        aria-valuemax={100}
        aria-valuenow={Math.round(fraction * 100)}
        aria-label={label ?? "fullness"}
        data-tone={tone || "ok"}
      >
        <div className={`bar-fill ${tone}`} style={{ width: `${pct * 100}%` }} />
        {threshold !== undefined ? <div className="bar-tick" style={{ left: `${Math.min(1, threshold) * 100}%` }} title={`split threshold ${formatPct(threshold)}`} /> : null}
      </div>
      <span>{formatPct(fraction)}</span>
    </div>
  );
}

/** Where a hash range sits in the 32-bit key space. */
export function RangeBar({ startPct, widthPct, title }: { startPct: number; widthPct: number; title: string }) {
  return (
    <div className="range-track" title={title} aria-hidden="true">
      <div className="range-span" style={{ left: `${startPct}%`, width: `${Math.max(widthPct, 0.3)}%` }} />
    </div>
  );
}

export function CopyButton({ text, label = "Copy", testId }: { text: string; label?: string; testId?: string }) {
  const [state, setState] = useState<"idle" | "copied" | "failed">("idle");
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(text);
      setState("copied");
    } catch {
      // Clipboard access needs a secure context; the text stays selectable either way.
      setState("failed");
    }
  };
  return (
    <button type="button" className="secondary small" onClick={() => void copy()} data-testid={testId}>
      {state === "copied" ? "Copied" : state === "failed" ? "Select and copy" : label}
    </button>
  );
}
