import { formatAgo, formatDateTime } from "../../../lib/format.ts";

/** A settings value as a change list shows it: booleans as on/off, objects as JSON. */
export function showSettingValue(v: unknown): string {
  if (typeof v === "boolean") return v ? "on" : "off";
  if (v === null || v === undefined) return "—";
  return typeof v === "number" || typeof v === "string" ? String(v) : JSON.stringify(v);
}

export interface ChangeEntry {
  id: number;
  at: Date;
  actorEmail: string | null;
  changes: ReadonlyArray<{ field: string; old: unknown; new: unknown }>;
}

/** The collapsible change history under a settings section (`testId` names its list and rows). */
export function ChangeHistory({ audit, testId }: { audit: readonly ChangeEntry[]; testId: string }) {
  if (audit.length === 0) return null;
  return (
    <details style={{ marginTop: 12 }}>
      <summary>Change history ({audit.length})</summary>
      <ul className="change-list" data-testid={testId}>
        {audit.map((a) => (
          <li key={a.id} data-testid={`${testId}-row`}>
            <span title={formatDateTime(a.at)}>{formatAgo(a.at)}</span> · {a.actorEmail ?? "system"}:{" "}
            {a.changes.length === 0 ? "saved without changes" : a.changes.map((c) => `${c.field} ${showSettingValue(c.old)} → ${showSettingValue(c.new)}`).join(", ")}
          </li>
        ))}
      </ul>
    </details>
  );
}
