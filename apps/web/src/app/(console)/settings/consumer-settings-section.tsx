"use client";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { consumerSettingsSchema, type ConsumerSettings } from "@shardcast/core/consumers/settings";
import { ErrorNote, Loading } from "../../../components/ui.tsx";
import { useCan } from "../../../components/user-context.tsx";
import { fieldErrors } from "../../../lib/errors.ts";
import { formatAgo, formatDateTime } from "../../../lib/format.ts";
import { parseSettingsForm } from "../../../lib/settings-form.ts";
import { savedMessage, useSettingsForm } from "../../../lib/use-settings-form.ts";
import { ChangeHistory } from "./change-history.tsx";
import { NumericFieldGrid, SettingsFormFooter, type NumericField } from "./numeric-fields.tsx";
import { useTRPC } from "../../../lib/trpc.ts";

type NumberField = Exclude<keyof ConsumerSettings, "checkpointMode" | "memberWeighting">;
type Values = Record<NumberField, string> & Pick<ConsumerSettings, "checkpointMode" | "memberWeighting">;
type Errors = Partial<Record<keyof ConsumerSettings, string>>;

const FIELDS: Array<NumericField<NumberField>> = [
  { field: "checkpointThresholdSec", label: "Checkpoint threshold", unit: "s", hint: "Predicted replay that triggers a checkpoint." },
  { field: "predictionHorizonSec", label: "Prediction horizon", unit: "s", hint: "How far ahead arrivals are forecast; the default, one run of the checkpoint job, checkpoints at the last moment that keeps the threshold. Longer buys margin with more checkpoints." },
  { field: "maxReplaySec", label: "Maximum replay", unit: "s", hint: "Never exceeded, in either mode." },
  { field: "fixedIntervalSec", label: "Fixed interval", unit: "s", hint: "Period of the fixed mode." },
  { field: "defaultReplayMsPerEvent", label: "Default processing time", unit: "ms/event", hint: "Until a group reports its own." },
  { field: "sessionTimeoutMs", label: "Session timeout", unit: "ms", hint: "A silent member loses its shardlets after this." },
  { field: "handoffTimeoutMs", label: "Hand-off timeout", unit: "ms", hint: "Longest wait for a holder's poll when a shardlet moves." },
];

const toValues = (s: ConsumerSettings): Values => ({
  checkpointMode: s.checkpointMode,
  memberWeighting: s.memberWeighting,
  ...(Object.fromEntries(FIELDS.map(({ field }) => [field, String(s[field])])) as Record<NumberField, string>),
});

/** Form strings -> settings with the server's schema, so the messages are the server's. */
function parse(v: Values): { value: ConsumerSettings | null; errors: Errors } {
  return parseSettingsForm(consumerSettingsSchema, { checkpointMode: v.checkpointMode, memberWeighting: v.memberWeighting }, FIELDS.map((f) => f.field), v);
}

export function ConsumerSettingsSection() {
  const trpc = useTRPC();
  const canEdit = useCan("admin");
  const q = useQuery(trpc.consumers.settings.queryOptions());
  return (
    <section className="card" aria-labelledby="consumers-h">
      <div className="card-header">
        <h2 id="consumers-h">Consumers and checkpoints</h2>
        {q.data ? (
          <span className="muted" title={formatDateTime(q.data.updatedAt)} data-testid="consumer-settings-updated">
            {q.data.updatedAt ? `changed ${formatAgo(q.data.updatedAt)}` : "defaults (never changed)"}
          </span>
        ) : null}
      </div>
      <p className="muted" style={{ marginTop: 0 }}>
        A shardlet&apos;s committed position becomes a durable checkpoint when (events processed since the last one + events forecast over the horizon) ×
        the group&apos;s processing time per event passes the threshold. The checkpoint job and the edges read these within seconds.
      </p>
      {!canEdit ? (
        <div className="alert alert-info" role="status">
          You can view these settings. Admins can change them.
        </div>
      ) : null}
      <ErrorNote error={q.error} />
      {q.isPending ? <Loading what="consumer settings" /> : q.data ? <ConsumerSettingsForm current={q.data.settings} readOnly={!canEdit} /> : null}
      {q.data ? <ChangeHistory audit={q.data.audit} testId="consumer-settings-audit" /> : null}
    </section>
  );
}

function ConsumerSettingsForm({ current, readOnly }: { current: ConsumerSettings; readOnly: boolean }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const form = useSettingsForm({ current, toValues, parse, readOnly });
  const { values, errors, saved, edit } = form;
  const update = useMutation(
    trpc.consumers.updateSettings.mutationOptions({
      onSuccess: async (res) => {
        form.stored(res.settings, savedMessage(res.changed.length));
        await queryClient.invalidateQueries({ queryKey: trpc.consumers.settings.queryKey() });
      },
    }),
  );
  const serverErrors = fieldErrors(update.error) as Errors;
  const shown = (f: keyof ConsumerSettings) => errors[f] ?? serverErrors[f];
  const set = (f: keyof Values, v: string) => edit((old) => ({ ...old, [f]: v }));
  const submit = form.submit((value) => update.mutate(value));
  return (
    <form onSubmit={submit} noValidate data-testid="consumer-settings-form">
      <div className="field">
        <label htmlFor="cs-mode">Checkpoint mode</label>
        <select id="cs-mode" value={values.checkpointMode} disabled={readOnly} onChange={(e) => set("checkpointMode", e.target.value)}>
          <option value="predictive">predictive (forecast replay against the threshold)</option>
          <option value="fixed">fixed interval (for comparison)</option>
        </select>
      </div>
      <div className="field">
        <label htmlFor="cs-weighting">Member weighting</label>
        <select id="cs-weighting" value={values.memberWeighting} disabled={readOnly} onChange={(e) => set("memberWeighting", e.target.value)}>
          <option value="throughput">by processing rate (a slower member gets a smaller share)</option>
          <option value="equal">equal (balance by load alone)</option>
        </select>
      </div>
      <NumericFieldGrid fields={FIELDS} values={values} shown={shown} idPrefix="cs" testIdPrefix="consumer" inputTestIds={false} disabled={readOnly} onChange={set} />
      <SettingsFormFooter
        error={update.error && Object.keys(serverErrors).length === 0 ? update.error : null}
        readOnly={readOnly}
        pending={update.isPending}
        saved={saved}
        saveLabel="Save consumer settings"
        testIdPrefix="consumer-settings"
      />
    </form>
  );
}
