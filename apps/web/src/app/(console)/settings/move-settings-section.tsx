"use client";
import { useQuery } from "@tanstack/react-query";
import { ErrorNote, Loading } from "../../../components/ui.tsx";
import { useCan } from "../../../components/user-context.tsx";
import { formatAgo, formatDateTime } from "../../../lib/format.ts";
import { useTRPC } from "../../../lib/trpc.ts";
import { MoveSettingsForm } from "./move-settings-form.tsx";

const show = (v: unknown) => (typeof v === "boolean" ? (v ? "on" : "off") : v === null || v === undefined ? "—" : typeof v === "number" || typeof v === "string" ? String(v) : JSON.stringify(v));

/** Rebalancing and migration settings (admins edit), with their change history. */
export function MoveSettingsSection() {
  const trpc = useTRPC();
  const isAdmin = useCan("admin");
  const settings = useQuery(trpc.migrations.settings.queryOptions(undefined, { refetchInterval: 10_000 }));
  return (
    <section className="card" aria-labelledby="move-settings-h">
      <div className="card-header">
        <h2 id="move-settings-h">Rebalancing and migrations</h2>
        {settings.data ? (
          <span className="muted" title={formatDateTime(settings.data.updatedAt)} data-testid="ms-updated">
            {settings.data.updatedAt ? `changed ${formatAgo(settings.data.updatedAt)}` : "defaults (never changed)"}
          </span>
        ) : null}
      </div>
      {!isAdmin ? (
        <div className="alert alert-info" role="status" data-testid="ms-readonly">
          You can view these settings. Admins can change them.
        </div>
      ) : null}
      <ErrorNote error={settings.error} />
      {settings.isPending ? (
        <Loading what="migration settings" />
      ) : settings.data ? (
        <>
          <MoveSettingsForm
            current={{ rebalance: settings.data.rebalance, migration: settings.data.migration }}
            defaults={settings.data.defaults}
            readOnly={!isAdmin}
          />
          {settings.data.audit.length > 0 ? (
            <details style={{ marginTop: 12 }}>
              <summary>Change history ({settings.data.audit.length})</summary>
              <ul className="change-list" data-testid="ms-audit">
                {settings.data.audit.map((a) => (
                  <li key={`${a.key}-${a.id}`} data-testid="ms-audit-row">
                    <span title={formatDateTime(a.at)}>{formatAgo(a.at)}</span> · {a.actorEmail ?? "system"}:{" "}
                    {a.changes.length === 0
                      ? "saved without changes"
                      : a.changes.map((c) => `${a.key}.${c.field} ${show(c.old)} → ${show(c.new)}`).join(", ")}
                  </li>
                ))}
              </ul>
            </details>
          ) : null}
        </>
      ) : null}
    </section>
  );
}
