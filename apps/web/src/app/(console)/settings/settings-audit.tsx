"use client";
import { useQuery } from "@tanstack/react-query";
import type { inferRouterOutputs } from "@trpc/server";
import type { AppRouter } from "@shardcast/api";
import { columns } from "../../../components/data-table-columns.tsx";
import { DataTable } from "../../../components/data-table.tsx";
import { ErrorNote, Loading } from "../../../components/ui.tsx";
import { formatAgo, formatDateTime } from "../../../lib/format.ts";
import { fieldLabel, formatSettingValue } from "../../../lib/lifecycle-fields.ts";
import { useTRPC } from "../../../lib/trpc.ts";

type Entry = inferRouterOutputs<AppRouter>["settings"]["audit"]["entries"][number];

const COLUMNS = columns<Entry>([
  { id: "when", header: "When", sortBy: (e) => e.at, td: (e) => ({ title: formatDateTime(e.at) }), cell: (e) => formatAgo(e.at) },
  { id: "who", header: "Who", sortBy: (e) => e.actorEmail, cell: (e) => e.actorEmail ?? <span className="muted">system</span> },
  {
    id: "changes",
    header: "Changes",
    td: { className: "wrap" },
    cell: (e) =>
      e.changes.length === 0 ? (
        <span className="muted">saved without changes</span>
      ) : (
        <ul className="change-list">
          {e.changes.map((c) => (
            <li key={c.field} data-testid={`audit-change-${c.field}`}>
              {fieldLabel(c.field)}: <span className="muted">{formatSettingValue(c.field, c.old)}</span> → <strong>{formatSettingValue(c.field, c.new)}</strong>
            </li>
          ))}
        </ul>
      ),
  },
]);

/** Who changed which lifecycle setting when, old -> new. */
export function SettingsAudit() {
  const trpc = useTRPC();
  const audit = useQuery(trpc.settings.audit.queryOptions({ limit: 50 }, { refetchInterval: 10_000 }));
  if (audit.error) return <ErrorNote error={audit.error} />;
  if (audit.isPending) return <Loading what="change history" />;
  return (
    <DataTable
      rows={audit.data.entries}
      columns={COLUMNS}
      rowKey={(e) => String(e.id)}
      testId="settings-audit"
      rowProps={() => ({ "data-testid": "settings-audit-row" })}
      empty="No changes yet: the defaults apply."
      emptyProps={{ "data-testid": "settings-audit-empty" }}
    />
  );
}
