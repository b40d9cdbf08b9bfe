"use client";
import { useQuery } from "@tanstack/react-query";
import { ErrorNote, Loading, PageHeader } from "../../../components/ui.tsx";
import { useCan } from "../../../components/user-context.tsx";
import { formatAgo, formatDateTime } from "../../../lib/format.ts";
import { useTRPC } from "../../../lib/trpc.ts";
import { CacheSettingsSection } from "./cache-settings-section.tsx";
import { CapacitySettingsSection } from "./capacity-settings-section.tsx";
import { ConsumerSettingsSection } from "./consumer-settings-section.tsx";
import { LifecycleSettingsForm } from "./lifecycle-settings-form.tsx";
import { MoveSettingsSection } from "./move-settings-section.tsx";
import { PlacementSettingsSection } from "./placement-settings-section.tsx";
import { PreallocSettingsSection } from "./prealloc-settings-section.tsx";
import { ProfilerSettingsSection } from "./profiler-settings-section.tsx";
import { RetentionSettingsSection } from "./retention-settings-section.tsx";
import { SettingsAudit } from "./settings-audit.tsx";

export function SettingsView() {
  const trpc = useTRPC();
  const canEdit = useCan("operator");
  const settings = useQuery(trpc.settings.get.queryOptions());
  return (
    <>
      <PageHeader
        title="Settings"
        subtitle="Shardlet lifecycle: when shardlets split and merge. The worker reads these on every scan, so a change applies without a restart."
      />
      <section className="card" aria-labelledby="lifecycle-h">
        <div className="card-header">
          <h2 id="lifecycle-h">Shardlet lifecycle</h2>
          {settings.data ? (
            <span className="muted" title={formatDateTime(settings.data.updatedAt)} data-testid="settings-updated">
              {settings.data.updatedAt ? `changed ${formatAgo(settings.data.updatedAt)}` : "defaults (never changed)"}
            </span>
          ) : null}
        </div>
        {!canEdit ? (
          <div className="alert alert-info" role="status" data-testid="settings-readonly">
            You can view these settings. Operators and admins can change them.
          </div>
        ) : null}
        <ErrorNote error={settings.error} />
        {settings.isPending ? (
          <Loading what="settings" />
        ) : settings.data ? (
          <LifecycleSettingsForm
            current={settings.data.lifecycle}
            defaults={settings.data.defaults}
            readOnly={!canEdit}
          />
        ) : null}
      </section>
      <section className="card" aria-labelledby="audit-h">
        <h2 id="audit-h">Change history</h2>
        <SettingsAudit />
      </section>
      <MoveSettingsSection />
      <RetentionSettingsSection />
      <ConsumerSettingsSection />
      <ProfilerSettingsSection />
      <CacheSettingsSection />
      <PlacementSettingsSection />
      <CapacitySettingsSection />
      <PreallocSettingsSection />
    </>
  );
}
