"use client";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { savedMessage, useSettingsForm } from "../../../lib/use-settings-form.ts";
import type { PreallocSettings } from "@shardcast/core/prealloc/settings";
import { ErrorNote, Loading } from "../../../components/ui.tsx";
import { useCan } from "../../../components/user-context.tsx";
import { fieldErrors } from "../../../lib/errors.ts";
import { formatAgo, formatDateTime } from "../../../lib/format.ts";
import { useTRPC } from "../../../lib/trpc.ts";
import { ChangeHistory } from "./change-history.tsx";
import { NumericFieldGrid, SettingsFormFooter } from "./numeric-fields.tsx";
import { PreallocEstimates } from "./prealloc-estimates.tsx";
import { parsePreallocForm, plainErrors, PREALLOC_FIELDS, toPreallocValues, type PreallocField } from "./prealloc-fields.ts";

/** Predictive pre-allocation settings (admins edit), their change history and the cost model's latest estimates. */
export function PreallocSettingsSection() {
  const trpc = useTRPC();
  const canEdit = useCan("admin");
  const q = useQuery(trpc.prealloc.settings.queryOptions());
  return (
    <section className="card" aria-labelledby="prealloc-settings-h" data-testid="prealloc-settings">
      <div className="card-header">
        <h2 id="prealloc-settings-h">Pre-allocation</h2>
        {q.data ? (
          <span className="muted" title={formatDateTime(q.data.updatedAt)} data-testid="prealloc-settings-updated">
            {q.data.updatedAt ? `changed ${formatAgo(q.data.updatedAt)}` : "defaults (never changed)"}
          </span>
        ) : null}
      </div>
      <p className="muted" style={{ marginTop: 0 }}>
        The edges&apos; content model predicts which shardlets an event announces a surge for. Every few seconds the pre-allocator weighs each prediction: the
        fallbacks a reactive split during the surge would cause against what preparing now costs. A chosen shardlet is split ahead; a part no surge used is
        merged back after the grace. The next run uses a change; outcomes are on the Operations and Models pages, marks on the Heatmap.
      </p>
      {!canEdit ? (
        <div className="alert alert-info" role="status" data-testid="prealloc-settings-readonly">
          You can view these settings. Admins can change them.
        </div>
      ) : null}
      <ErrorNote error={q.error} />
      {q.isPending ? (
        <Loading what="pre-allocation settings" />
      ) : q.data ? (
        <PreallocSettingsForm current={q.data.settings} defaults={q.data.defaults} readOnly={!canEdit} />
      ) : null}
      {q.data ? <ChangeHistory audit={q.data.audit} testId="prealloc-settings-audit" /> : null}
      <PreallocEstimates />
    </section>
  );
}

function PreallocSettingsForm({ current, defaults, readOnly }: { current: PreallocSettings; defaults: PreallocSettings; readOnly: boolean }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const form = useSettingsForm({ current, toValues: toPreallocValues, parse: parsePreallocForm, readOnly });
  const { values, errors, saved, edit } = form;
  const update = useMutation(
    trpc.prealloc.updateSettings.mutationOptions({
      onSuccess: async (res) => {
        form.stored(res.settings, savedMessage(res.changed.length, (one) => `the next pre-allocation run uses ${one ? "it" : "them"}`));
        await queryClient.invalidateQueries({ queryKey: trpc.prealloc.settings.queryKey() });
        await queryClient.invalidateQueries({ queryKey: trpc.prealloc.overview.queryKey() });
      },
    }),
  );
  const serverErrors = plainErrors(fieldErrors(update.error));
  const shown = (f: PreallocField) => errors[f] ?? serverErrors[f];
  const submit = form.submit((value) => update.mutate(value));
  const off = values.aggressiveness.trim() !== "" && Number(values.aggressiveness) === 0;
  return (
    <form onSubmit={submit} noValidate data-testid="prealloc-settings-form" aria-readonly={readOnly || undefined}>
      <fieldset className="plain" disabled={readOnly || update.isPending}>
        <NumericFieldGrid
          fields={PREALLOC_FIELDS}
          values={values}
          defaults={defaults}
          shown={shown}
          idPrefix="prealloc"
          onChange={(field, v) => edit((old) => ({ ...old, [field]: v }))}
        />
      </fieldset>
      {off ? (
        <p className="muted" data-testid="prealloc-off" style={{ margin: "4px 0 0" }}>
          Aggressiveness 0: pre-allocation is off. The model still predicts and the cost model still says why and why not, but only the reactive path splits.
        </p>
      ) : null}
      <SettingsFormFooter
        error={update.error && Object.keys(serverErrors).length === 0 ? update.error : null}
        errorTestId="prealloc-settings-error"
        readOnly={readOnly}
        pending={update.isPending}
        saved={saved}
        saveLabel="Save pre-allocation settings"
        testIdPrefix="prealloc-settings"
      />
    </form>
  );
}
