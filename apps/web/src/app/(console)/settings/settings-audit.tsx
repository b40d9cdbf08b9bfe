"use client";
import { useQuery } from "@tanstack/react-query";
import { ErrorNote, Loading } from "../../../components/ui.tsx";
import { formatAgo, formatDateTime } from "../../../lib/format.ts";
import { fieldLabel, formatSettingValue } from "../../../lib/lifecycle-fields.ts";
import { useTRPC } from "../../../lib/trpc.ts";

/** Who changed which lifecycle setting when, old -> new. */
export function SettingsAudit() {
  const trpc = useTRPC();
  const audit = useQuery(trpc.settings.audit.queryOptions({ limit: 50 }, { refetchInterval: 10_000 }));
  if (audit.error) return <ErrorNote error={audit.error} />;
  if (audit.isPending) return <Loading what="change history" />;
  if (audit.data.entries.length === 0) return <p className="empty" data-testid="settings-audit-empty">No changes yet: the defaults apply.</p>;
  return (
    <div className="table-wrap">
      <table data-testid="settings-audit">
        <thead>
          <tr>
            <th scope="col">When</th>
            <th scope="col">Who</th>
            <th scope="col">Changes</th>
          </tr>
        </thead>
        <tbody>
          {audit.data.entries.map((e) => (
            <tr key={e.id} data-testid="settings-audit-row">
              <td title={formatDateTime(e.at)}>{formatAgo(e.at)}</td>
              <td>{e.actorEmail ?? <span className="muted">system</span>}</td>
              <td className="wrap">
                {e.changes.length === 0 ? (
                  <span className="muted">saved without changes</span>
                ) : (
                  <ul className="change-list">
                    {e.changes.map((c) => (
                      <li key={c.field} data-testid={`audit-change-${c.field}`}>
                        {fieldLabel(c.field)}: <span className="muted">{formatSettingValue(c.field, c.old)}</span> → <strong>{formatSettingValue(c.field, c.new)}</strong>
                      </li>
                    ))}
                  </ul>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
