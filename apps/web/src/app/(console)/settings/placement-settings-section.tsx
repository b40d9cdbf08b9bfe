"use client";
import Link from "next/link";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { placementSettingsSchema, type PlacementSettings } from "@shardcast/core/cache/placement";
import { ErrorNote, Loading } from "../../../components/ui.tsx";
import { useCan } from "../../../components/user-context.tsx";
import { fieldErrors } from "../../../lib/errors.ts";
import { formatAgo, formatDateTime } from "../../../lib/format.ts";
import { parseSettingsForm, plainSettingsMessage } from "../../../lib/settings-form.ts";
import { useTRPC } from "../../../lib/trpc.ts";
import { savedMessage, useSettingsForm } from "../../../lib/use-settings-form.ts";
import { ChangeHistory } from "./change-history.tsx";
import { NumericFieldGrid, SettingsFormFooter, type NumericField } from "./numeric-fields.tsx";

type NumberField = Exclude<keyof PlacementSettings, "enabled">;
type Values = Record<NumberField, string> & { enabled: boolean };
type Errors = Partial<Record<keyof PlacementSettings, string>>;

const FIELDS: Array<NumericField<NumberField>> = [
  { field: "archiveAfterSec", label: "Archive after", unit: "s", hint: "Payloads stored longer ago than this may be archived (60 s to a year)." },
  { field: "minArchiveBytes", label: "Minimum archivable", unit: "bytes", hint: "A shardlet is considered once it holds this many bytes of such payloads." },
  { field: "leaveReward", label: "Leave reward (0–1)", hint: "What leaving a shardlet earns: the share of bytes an archive must save to be chosen." },
  { field: "exploration", label: "Exploration (0–5)", hint: "Bonus of the bandit's upper bound; 1 is UCB1 as published." },
  { field: "replicaMinReadsPerSec", label: "Hot shardlet reads", unit: "events/s", hint: "A shardlet read this fast is a candidate for a read replica on another host." },
  { field: "readForecastLeadSec", label: "Read forecast look-ahead", unit: "s", hint: "Replicas, pins and read moves plan on the higher of the observed read rate and the trusted read forecast this far ahead; 0 uses the observed rate only." },
  { field: "maxReplicas", label: "Most read replicas", hint: "Read replicas in the whole cluster; 0 turns them off (existing ones are dropped)." },
  { field: "pinBudgetShare", label: "Pin budget (0–0.75)", hint: "Share of each edge's cache that pinned shardlets' entries may hold, safe from eviction; 0 turns pins off (existing ones are unpinned)." },
  { field: "maxPins", label: "Most pins", hint: "Shardlets pinned in the edges' caches, whole cluster; 0 turns pins off." },
  { field: "maxReadMovesPerRun", label: "Read moves per run (0–10)", hint: "Hot shardlets moved off a host that serves far more reads than the rest, per run; 0 turns the move arm off." },
  { field: "readMoveImbalance", label: "Read imbalance (0.05–10)", hint: "How far above the hosts' mean read load a host must be before a hot shardlet moves off it (0.5: 50% above)." },
  { field: "readMoveCooldownSec", label: "Read move cool-down", unit: "s", hint: "A shardlet moved for its reads is not moved for them again for this long (60 s to 7 days)." },
];

const toValues = (s: PlacementSettings): Values => ({
  enabled: s.enabled,
  ...(Object.fromEntries(FIELDS.map(({ field }) => [field, String(s[field])])) as Record<NumberField, string>),
});

/** Form strings -> settings with the server's schema; fields without a message of their own get zod's in the console's words. */
function parse(v: Values): { value: PlacementSettings | null; errors: Errors } {
  const { value, errors } = parseSettingsForm(placementSettingsSchema, { enabled: v.enabled }, FIELDS.map((f) => f.field), v);
  return { value, errors: Object.fromEntries(Object.entries(errors).map(([f, m]) => [f, plainSettingsMessage(m)])) };
}

/** Cold archive and placement settings (admins edit), with their change history. */
export function PlacementSettingsSection() {
  const trpc = useTRPC();
  const canEdit = useCan("admin");
  const q = useQuery(trpc.cache.placementSettings.queryOptions());
  return (
    <section className="card" aria-labelledby="placement-h" data-testid="placement-settings">
      <div className="card-header">
        <h2 id="placement-h">Cold archive &amp; placement</h2>
        {q.data ? (
          <span className="muted" title={formatDateTime(q.data.updatedAt)} data-testid="placement-settings-updated">
            {q.data.updatedAt ? `changed ${formatAgo(q.data.updatedAt)}` : "defaults (never changed)"}
          </span>
        ) : null}
      </div>
      <p className="muted" style={{ marginTop: 0 }}>
        Every minute the worker&apos;s placement job lets a bandit choose, per class of shardlet, between archiving old payloads into compressed batches on their
        host and leaving them, between giving a hot shardlet a read replica on another host, moving it off a host that serves far more reads than the rest (within the
        rebalancer&apos;s write limits) and leaving it, and between pinning a shardlet whose reads miss the
        edges&apos; caches and leaving it; it restores archives a consumer group needs and drops replicas and pins that do not pay. It reads these settings at each run. What it did shows on{" "}
        <Link href="/cache">Cache &amp; prefetch</Link>.
      </p>
      {!canEdit ? (
        <div className="alert alert-info" role="status" data-testid="placement-settings-readonly">
          You can view these settings. Admins can change them.
        </div>
      ) : null}
      <ErrorNote error={q.error} />
      {q.isPending ? <Loading what="placement settings" /> : q.data ? <PlacementSettingsForm current={q.data.settings} defaults={q.data.defaults} readOnly={!canEdit} /> : null}
      {q.data ? <ChangeHistory audit={q.data.audit} testId="placement-settings-audit" /> : null}
    </section>
  );
}

function PlacementSettingsForm({ current, defaults, readOnly }: { current: PlacementSettings; defaults: PlacementSettings; readOnly: boolean }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const form = useSettingsForm({ current, toValues, parse, readOnly });
  const { values, errors, saved, edit } = form;
  const update = useMutation(
    trpc.cache.updatePlacementSettings.mutationOptions({
      onSuccess: async (res) => {
        form.stored(res.settings, savedMessage(res.changed.length, () => "the placement job uses them from its next run"));
        await queryClient.invalidateQueries({ queryKey: trpc.cache.placementSettings.queryKey() });
        await queryClient.invalidateQueries({ queryKey: trpc.cache.placement.queryKey() });
      },
    }),
  );
  const serverErrors = fieldErrors(update.error) as Errors;
  const shown = (f: keyof PlacementSettings) => errors[f] ?? (serverErrors[f] === undefined ? undefined : plainSettingsMessage(serverErrors[f]));
  const submit = form.submit((value) => update.mutate(value));
  return (
    <form onSubmit={submit} noValidate data-testid="placement-settings-form" aria-readonly={readOnly || undefined}>
      <fieldset className="plain" disabled={readOnly || update.isPending}>
        <label className="checkbox">
          <input type="checkbox" checked={values.enabled} onChange={(e) => edit((old) => ({ ...old, enabled: e.target.checked }))} data-testid="pl-enabled" />
          Archive and restore on the schedule <span className="muted">(off: the job neither archives nor restores; archived rows stay readable)</span>
        </label>
        <NumericFieldGrid fields={FIELDS} values={values} defaults={defaults} shown={shown} idPrefix="pl" onChange={(field, v) => edit((old) => ({ ...old, [field]: v }))} />
      </fieldset>
      <SettingsFormFooter
        error={update.error && Object.keys(serverErrors).length === 0 ? update.error : null}
        errorTestId="placement-settings-error"
        readOnly={readOnly}
        pending={update.isPending}
        saved={saved}
        saveLabel="Save placement settings"
        testIdPrefix="placement-settings"
      />
    </form>
  );
}
