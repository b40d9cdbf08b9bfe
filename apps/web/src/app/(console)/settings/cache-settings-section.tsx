"use client";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { savedMessage, useSettingsForm } from "../../../lib/use-settings-form.ts";
import { readCacheSettingsSchema, type ReadCacheSettings } from "@shardcast/core/cache/settings";
import { ErrorNote, Loading } from "../../../components/ui.tsx";
import { useCan } from "../../../components/user-context.tsx";
import { fieldErrors } from "../../../lib/errors.ts";
import { formatAgo, formatDateTime } from "../../../lib/format.ts";
import { parseSettingsForm } from "../../../lib/settings-form.ts";
import { useTRPC } from "../../../lib/trpc.ts";
import { ChangeHistory } from "./change-history.tsx";
import { NumericFieldGrid, SettingsFormFooter, type NumericField } from "./numeric-fields.tsx";

type NumberField = Exclude<keyof ReadCacheSettings, "prefetchEnabled" | "correlateFields">;
type Values = Record<NumberField, string> & { prefetchEnabled: boolean; correlateFields: string };
type Errors = Partial<Record<keyof ReadCacheSettings, string>>;

const FIELDS: Array<NumericField<NumberField>> = [
  { field: "prefetchThreshold", label: "Prefetch threshold (0.01–1)", hint: "Prefetch a shardlet when an event announces its read with at least this probability." },
  { field: "minLift", label: "Minimum lift", hint: "How much likelier the event must make the read than it is anyway." },
  { field: "topPerType", label: "Shardlets per event type", hint: "Entries kept per event type in the map." },
];

/** Comma- or space-separated paths; empty entries dropped, so "user, region" and "user region" both work. */
const splitFields = (raw: string): string[] => raw.split(/[\s,]+/).filter((f) => f.length > 0);

const toValues = (s: ReadCacheSettings): Values => ({
  prefetchEnabled: s.prefetchEnabled,
  correlateFields: s.correlateFields.join(", "),
  ...(Object.fromEntries(FIELDS.map(({ field }) => [field, String(s[field])])) as Record<NumberField, string>),
});

/** Form strings -> settings with the server's schema, so the messages are the server's. */
function parse(v: Values): { value: ReadCacheSettings | null; errors: Errors } {
  return parseSettingsForm(readCacheSettingsSchema, { prefetchEnabled: v.prefetchEnabled, correlateFields: splitFields(v.correlateFields) }, FIELDS.map((f) => f.field), v);
}

/** Read cache and prefetch settings (admins edit), with their change history. */
export function CacheSettingsSection() {
  const trpc = useTRPC();
  const canEdit = useCan("admin");
  const q = useQuery(trpc.cache.settings.queryOptions());
  return (
    <section className="card" aria-labelledby="cache-h" data-testid="cache-settings">
      <div className="card-header">
        <h2 id="cache-h">Read cache &amp; prefetch</h2>
        {q.data ? (
          <span className="muted" title={formatDateTime(q.data.updatedAt)} data-testid="cache-settings-updated">
            {q.data.updatedAt ? `changed ${formatAgo(q.data.updatedAt)}` : "defaults (never changed)"}
          </span>
        ) : null}
      </div>
      <p className="muted" style={{ marginTop: 0 }}>
        The worker learns which event types announce reads of which shardlets and publishes a prefetch map with the threshold below; the edges prefetch from it
        within seconds of a change. Each edge&apos;s cache size and prefetch bandwidth are set where it runs (<code>SHARDCAST_EDGE_CACHE_MB</code>,{" "}
        <code>SHARDCAST_EDGE_PREFETCH_MB_PER_SEC</code>).
      </p>
      {!canEdit ? (
        <div className="alert alert-info" role="status" data-testid="cache-settings-readonly">
          You can view these settings. Admins can change them.
        </div>
      ) : null}
      <ErrorNote error={q.error} />
      {q.isPending ? <Loading what="read cache settings" /> : q.data ? <CacheSettingsForm current={q.data.settings} defaults={q.data.defaults} readOnly={!canEdit} /> : null}
      {q.data ? <ChangeHistory audit={q.data.audit} testId="cache-settings-audit" /> : null}
    </section>
  );
}

function CacheSettingsForm({ current, defaults, readOnly }: { current: ReadCacheSettings; defaults: ReadCacheSettings; readOnly: boolean }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const form = useSettingsForm({ current, toValues, parse, readOnly });
  const { values, errors, saved, edit } = form;
  const update = useMutation(
    trpc.cache.updateSettings.mutationOptions({
      onSuccess: async (res) => {
        form.stored(res.settings, savedMessage(res.changed.length));
        await queryClient.invalidateQueries({ queryKey: trpc.cache.settings.queryKey() });
        await queryClient.invalidateQueries({ queryKey: trpc.cache.prefetch.queryKey() });
      },
    }),
  );
  const serverErrors = fieldErrors(update.error) as Errors;
  const shown = (f: keyof ReadCacheSettings) => errors[f] ?? serverErrors[f];
  const submit = form.submit((value) => update.mutate(value));
  return (
    <form onSubmit={submit} noValidate data-testid="cache-settings-form" aria-readonly={readOnly || undefined}>
      <fieldset className="plain" disabled={readOnly || update.isPending}>
        <label className="checkbox">
          <input type="checkbox" checked={values.prefetchEnabled} onChange={(e) => edit((old) => ({ ...old, prefetchEnabled: e.target.checked }))} data-testid="rc-prefetchEnabled" />
          Learn event correlations and prefetch <span className="muted">(off: the cache still serves repeated reads)</span>
        </label>
        <NumericFieldGrid fields={FIELDS} values={values} defaults={defaults} shown={shown} idPrefix="rc" onChange={(field, v) => edit((old) => ({ ...old, [field]: v }))} />
        <label htmlFor="rc-correlateFields">Correlate on payload fields</label>
        <input
          id="rc-correlateFields"
          type="text"
          value={values.correlateFields}
          placeholder="e.g. user, geo.region"
          onChange={(e) => edit((old) => ({ ...old, correlateFields: e.target.value }))}
          aria-invalid={shown("correlateFields") ? true : undefined}
          aria-describedby="rc-correlateFields-hint"
          data-testid="rc-correlateFields"
        />
        <p id="rc-correlateFields-hint" className={shown("correlateFields") ? "field-error" : "muted"} data-testid="rc-correlateFields-hint">
          {shown("correlateFields") ??
            `Besides the event type, learn which reads follow each value of these fields (up to 4 dotted paths; empty: types only). A field whose prefetches go unread is not used. Default: ${defaults.correlateFields.join(", ") || "none"}.`}
        </p>
      </fieldset>
      <SettingsFormFooter
        error={update.error && Object.keys(serverErrors).length === 0 ? update.error : null}
        errorTestId="cache-settings-error"
        readOnly={readOnly}
        pending={update.isPending}
        saved={saved}
        saveLabel="Save read cache settings"
        testIdPrefix="cache-settings"
      />
    </form>
  );
}
