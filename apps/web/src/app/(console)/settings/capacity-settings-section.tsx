"use client";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { savedMessage, useSettingsForm } from "../../../lib/use-settings-form.ts";
import { capacitySettingsSchema, type CapacitySettings } from "@shardcast/core/capacity/settings";
import { ErrorNote, Loading } from "../../../components/ui.tsx";
import { useCan } from "../../../components/user-context.tsx";
import { fieldErrors } from "../../../lib/errors.ts";
import { formatAgo, formatDateTime } from "../../../lib/format.ts";
import { parseSettingsForm } from "../../../lib/settings-form.ts";
import { useTRPC } from "../../../lib/trpc.ts";
import { ChangeHistory } from "./change-history.tsx";
import { NumericFieldGrid, SettingsFormFooter, type NumericField } from "./numeric-fields.tsx";

type NumberField = Exclude<keyof CapacitySettings, "enabled" | "mode">;
type Values = Record<NumberField, string> & { enabled: boolean; mode: CapacitySettings["mode"] };
type Errors = Partial<Record<keyof CapacitySettings, string>>;

const FIELDS: Array<NumericField<NumberField>> = [
  { field: "minHosts", label: "Minimum hosts", unit: "hosts", hint: "Never fewer active hosts than this; no drain goes below it." },
  { field: "maxHosts", label: "Maximum hosts", unit: "hosts", hint: "Never more; past it the plan says the forecast needs more instead of adding." },
  { field: "targetUtilization", label: "Target utilisation", unit: "0.2–1", hint: "Hosts are planned so the forecast load is at most this share of their capacity." },
  { field: "scaleInUtilization", label: "Scale-in utilisation", unit: "0.1–1", hint: "A host is drained only if the rest stay at or below this share; at most the target." },
  { field: "provisionSec", label: "Provisioning time", unit: "s", hint: "From asking for a host until it is registered and takes shardlets." },
  { field: "copyBytesPerSec", label: "Copy budget", unit: "bytes/s", hint: "Per migration; fill and drain times follow from it." },
  { field: "movesPerHost", label: "Moves per host", unit: "migrations", hint: "Migrations one host takes part in at once." },
  { field: "moveSetupSec", label: "Move setup", unit: "s", hint: "Fixed cost of one migration: setup, verify, switch." },
  { field: "marginSec", label: "Margin", unit: "s", hint: "Extra lead, so a new host is ready a little before it is needed." },
  { field: "minHostLifetimeSec", label: "Minimum host lifetime", unit: "s", hint: "A host added by the planner is not drained sooner (no flapping)." },
  { field: "minScaleInSavingSec", label: "Minimum drain saving", unit: "host-seconds", hint: "A drain must save this much host time, after its copy and the lead of adding the host back." },
  { field: "bandUtilization", label: "Band utilisation", unit: "0–1", hint: "The forecast's upper band is planned at this share of capacity; at or below the target (0 by default) it is planned at the target." },
  { field: "forecastQuantile", label: "Forecast quantile", unit: "0–0.999", hint: "Hosts are planned for the forecast times how far load ran above its forecasts at this quantile of recent steps; 0 plans on the forecast itself." },
];

const toValues = (s: CapacitySettings): Values => ({
  enabled: s.enabled,
  mode: s.mode,
  ...(Object.fromEntries(FIELDS.map(({ field }) => [field, String(s[field])])) as Record<NumberField, string>),
});

/** Form strings -> settings with the server's schema, so the messages are the server's. */
function parse(v: Values): { value: CapacitySettings | null; errors: Errors } {
  return parseSettingsForm(capacitySettingsSchema, { enabled: v.enabled, mode: v.mode }, FIELDS.map((f) => f.field), v);
}

/** Predictive capacity planning settings (admins edit), with their change history. */
export function CapacitySettingsSection() {
  const trpc = useTRPC();
  const canEdit = useCan("admin");
  const q = useQuery(trpc.capacity.settings.queryOptions());
  return (
    <section className="card" aria-labelledby="capacity-settings-h" data-testid="capacity-settings">
      <div className="card-header">
        <h2 id="capacity-settings-h">Capacity</h2>
        {q.data ? (
          <span className="muted" title={formatDateTime(q.data.updatedAt)} data-testid="capacity-settings-updated">
            {q.data.updatedAt ? `changed ${formatAgo(q.data.updatedAt)}` : "defaults (never changed)"}
          </span>
        ) : null}
      </div>
      <p className="muted" style={{ marginTop: 0 }}>
        The analyzer plans hosts from the cluster forecast: it asks for a host a lead ahead of the load (provisioning plus copying the host&apos;s share at the copy
        budget, plus the margin) and drains one only in a trough that pays for its bytes. Forecast only proposes (operators approve on the Migrations page); act
        adds and drains hosts itself. The next analyzer run uses a change; the plan is on the Heatmap page.
      </p>
      {!canEdit ? (
        <div className="alert alert-info" role="status" data-testid="capacity-settings-readonly">
          You can view these settings. Admins can change them.
        </div>
      ) : null}
      <ErrorNote error={q.error} />
      {q.isPending ? (
        <Loading what="capacity settings" />
      ) : q.data ? (
        <CapacitySettingsForm current={q.data.settings} defaults={q.data.defaults} readOnly={!canEdit} />
      ) : null}
      {q.data ? <ChangeHistory audit={q.data.audit} testId="capacity-settings-audit" /> : null}
    </section>
  );
}

function CapacitySettingsForm({ current, defaults, readOnly }: { current: CapacitySettings; defaults: CapacitySettings; readOnly: boolean }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const form = useSettingsForm({ current, toValues, parse, readOnly });
  const { values, errors, saved, edit } = form;
  const update = useMutation(
    trpc.capacity.updateSettings.mutationOptions({
      onSuccess: async (res) => {
        form.stored(res.settings, savedMessage(res.changed.length, () => "the next analyzer run plans with them"));
        await queryClient.invalidateQueries({ queryKey: trpc.capacity.settings.queryKey() });
        await queryClient.invalidateQueries({ queryKey: trpc.capacity.plan.queryKey() });
      },
    }),
  );
  const serverErrors = fieldErrors(update.error) as Errors;
  const shown = (f: keyof CapacitySettings) => errors[f] ?? serverErrors[f];
  const submit = form.submit((value) => update.mutate(value));
  return (
    <form onSubmit={submit} noValidate data-testid="capacity-settings-form" aria-readonly={readOnly || undefined}>
      <fieldset className="plain" disabled={readOnly || update.isPending}>
        <label className="checkbox">
          <input type="checkbox" checked={values.enabled} onChange={(e) => edit((old) => ({ ...old, enabled: e.target.checked }))} data-testid="cap-enabled" />
          Plan hosts from the forecast <span className="muted">(off: only the analyzer&apos;s scale-out signal remains)</span>
        </label>
        <div className="field" style={{ maxWidth: 360 }}>
          <label htmlFor="cap-mode">Mode</label>
          <select id="cap-mode" value={values.mode} onChange={(e) => edit((old) => ({ ...old, mode: e.target.value === "act" ? "act" : "forecast_only" }))} data-testid="cap-mode">
            <option value="forecast_only">Forecast only: propose, operators approve</option>
            <option value="act">Act: add and drain hosts without asking</option>
          </select>
          {shown("mode") ? (
            <span className="field-error" data-testid="cap-mode-error">
              {shown("mode")}
            </span>
          ) : (
            <span className="hint">Default {defaults.mode === "act" ? "act" : "forecast only"}.</span>
          )}
        </div>
        <NumericFieldGrid fields={FIELDS} values={values} defaults={defaults} shown={shown} idPrefix="cap" onChange={(field, v) => edit((old) => ({ ...old, [field]: v }))} />
      </fieldset>
      <SettingsFormFooter
        error={update.error && Object.keys(serverErrors).length === 0 ? update.error : null}
        errorTestId="capacity-settings-error"
        readOnly={readOnly}
        pending={update.isPending}
        saved={saved}
        saveLabel="Save capacity settings"
        testIdPrefix="capacity-settings"
      />
    </form>
  );
}
