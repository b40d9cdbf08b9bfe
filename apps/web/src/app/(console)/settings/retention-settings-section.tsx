"use client";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { retentionSettingsSchema, type RetentionSettings } from "@shardcast/core/retention/settings";
import { savedMessage, useSettingsForm } from "../../../lib/use-settings-form.ts";
import { ErrorNote, Loading } from "../../../components/ui.tsx";
import { useCan } from "../../../components/user-context.tsx";
import { fieldErrors } from "../../../lib/errors.ts";
import { formatAgo, formatDateTime } from "../../../lib/format.ts";
import { parseSettingsForm } from "../../../lib/settings-form.ts";
import { useTRPC } from "../../../lib/trpc.ts";
import { ChangeHistory } from "./change-history.tsx";
import { NumericFieldGrid, SettingsFormFooter, type NumericField } from "./numeric-fields.tsx";

type NumberField = Exclude<keyof RetentionSettings, "enabled">;
type Values = Record<NumberField, string> & { enabled: boolean };
type Errors = Partial<Record<keyof RetentionSettings, string>>;

const FIELDS: Array<NumericField<NumberField>> = [
  {
    field: "partitionSpanSec",
    label: "Partition span (s)",
    hint: "Stored time one partition holds. A host keeps up to one span past its longest retention; more partitions cost read planning. Applies to partitions made from now on.",
  },
  { field: "partitionsAhead", label: "Partitions ahead (1–48)", hint: "Made ahead of the present one, so writers rarely make one themselves." },
  { field: "maxDropsPerRun", label: "Drops per host and run", hint: "The rest wait for the next run (every SHARDCAST_RETENTION_EVERY_MS)." },
];

const toValues = (s: RetentionSettings): Values => ({
  enabled: s.enabled,
  ...(Object.fromEntries(FIELDS.map(({ field }) => [field, String(s[field])])) as Record<NumberField, string>),
});

/** Form strings -> settings with the server's schema, so the messages are the server's. */
function parse(v: Values): { value: RetentionSettings | null; errors: Errors } {
  return parseSettingsForm(retentionSettingsSchema, { enabled: v.enabled }, FIELDS.map((f) => f.field), v);
}

/** Retention (time partitions and their expiry) settings, admins edit, with their change history. */
export function RetentionSettingsSection() {
  const trpc = useTRPC();
  const canEdit = useCan("admin");
  const q = useQuery(trpc.streams.retentionSettings.queryOptions());
  return (
    <section className="card" aria-labelledby="retention-h" data-testid="retention-settings">
      <div className="card-header">
        <h2 id="retention-h">Retention</h2>
        {q.data ? (
          <span className="muted" title={formatDateTime(q.data.updatedAt)} data-testid="retention-settings-updated">
            {q.data.updatedAt ? `changed ${formatAgo(q.data.updatedAt)}` : "defaults (never changed)"}
          </span>
        ) : null}
      </div>
      <p className="muted" style={{ marginTop: 0 }}>
        Storage hosts keep events in time partitions; the worker&apos;s retention job drops a partition once every stream with rows in it has let them
        expire. Each stream&apos;s own retention (hours, and an optional size cap) is set when it is created; the stream page shows what was freed.
      </p>
      {!canEdit ? (
        <div className="alert alert-info" role="status" data-testid="retention-settings-readonly">
          You can view these settings. Admins can change them.
        </div>
      ) : null}
      <ErrorNote error={q.error} />
      {q.isPending ? <Loading what="retention settings" /> : q.data ? <RetentionSettingsForm current={q.data.settings} defaults={q.data.defaults} readOnly={!canEdit} /> : null}
      {q.data ? <ChangeHistory audit={q.data.audit} testId="retention-settings-audit" /> : null}
    </section>
  );
}

function RetentionSettingsForm({ current, defaults, readOnly }: { current: RetentionSettings; defaults: RetentionSettings; readOnly: boolean }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const form = useSettingsForm({ current, toValues, parse, readOnly });
  const { values, errors, saved, edit } = form;
  const update = useMutation(
    trpc.streams.updateRetentionSettings.mutationOptions({
      onSuccess: async (res) => {
        form.stored(res.settings, savedMessage(res.changed.length));
        await queryClient.invalidateQueries({ queryKey: trpc.streams.retentionSettings.queryKey() });
      },
    }),
  );
  const serverErrors = fieldErrors(update.error) as Errors;
  const shown = (f: keyof RetentionSettings) => errors[f] ?? serverErrors[f];
  const submit = form.submit((value) => update.mutate(value));
  return (
    <form onSubmit={submit} noValidate data-testid="retention-settings-form" aria-readonly={readOnly || undefined}>
      <fieldset className="plain" disabled={readOnly || update.isPending}>
        <label className="checkbox">
          <input type="checkbox" checked={values.enabled} onChange={(e) => edit((old) => ({ ...old, enabled: e.target.checked }))} data-testid="rt-enabled" />
          Drop expired partitions <span className="muted">(off: streams still forget expired events, but nothing is freed)</span>
        </label>
        <NumericFieldGrid fields={FIELDS} values={values} defaults={defaults} shown={shown} idPrefix="rt" onChange={(field, v) => edit((old) => ({ ...old, [field]: v }))} />
      </fieldset>
      <SettingsFormFooter
        error={update.error && Object.keys(serverErrors).length === 0 ? update.error : null}
        errorTestId="retention-settings-error"
        readOnly={readOnly}
        pending={update.isPending}
        saved={saved}
        saveLabel="Save retention settings"
        testIdPrefix="retention-settings"
      />
    </form>
  );
}
