"use client";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { TRPCClientError } from "@trpc/client";
import type { AppRouter } from "@shardcast/api";
import { profilerSettingsSchema, type ProfilerSettings } from "@shardcast/core/profile/settings";
import { ErrorNote, Loading } from "../../../components/ui.tsx";
import { useCan } from "../../../components/user-context.tsx";
import { formatAgo, formatDateTime } from "../../../lib/format.ts";
import { savedMessage, useSettingsForm } from "../../../lib/use-settings-form.ts";
import { ChangeHistory } from "./change-history.tsx";
import { NumericFieldGrid, SettingsFormFooter, type NumericField } from "./numeric-fields.tsx";
import { useTRPC } from "../../../lib/trpc.ts";

type Num = "sampleRate" | "healthThreshold" | "migrationWindowSec" | "maxShards" | "latencyTargetMs" | "windowSec";
type Override = "sampleRate" | "healthThreshold" | "migrationWindowSec" | "maxShards";
type Errors = Record<string, string>;

const NUMS: Array<NumericField<Num>> = [
  { field: "sampleRate", label: "Sample rate (0–1)", hint: "Share of events profiled; 0 profiles nothing." },
  { field: "healthThreshold", label: "Health threshold (0–1)", hint: "Shardlets scoring below get a proposal, or a note saying why not." },
  { field: "migrationWindowSec", label: "Migration window (s)", hint: "A move must be expected to finish within this." },
  { field: "maxShards", label: "Max shardlets per stream", hint: "The orchestrator never splits a stream past this." },
  { field: "latencyTargetMs", label: "Latency target (ms)", hint: "p99 ack or read at which the latency score halves." },
  { field: "windowSec", label: "Profile window (s)", hint: "How far back profiles are read." },
];
const OVERRIDES: Override[] = ["sampleRate", "healthThreshold", "migrationWindowSec", "maxShards"];

/** `id` is the React key: the stream name is itself editable. */
type Row = { id: number; stream: string; keyFields: string; overrides: Record<Override, string> };
type Values = { enabled: boolean; autoApply: boolean; nums: Record<Num, string>; rows: Row[] };

let nextRowId = 1;
const blankOverrides = (): Record<Override, string> => ({ sampleRate: "", healthThreshold: "", migrationWindowSec: "", maxShards: "" });

const toValues = (s: ProfilerSettings): Values => ({
  enabled: s.enabled,
  autoApply: s.autoApply,
  nums: Object.fromEntries(NUMS.map(({ field }) => [field, String(s[field])])) as Record<Num, string>,
  rows: Object.entries(s.streams).map(([stream, o]) => ({
    id: nextRowId++,
    stream,
    keyFields: o.keyFields.join("\n"),
    overrides: Object.fromEntries(OVERRIDES.map((f) => [f, o[f] === undefined ? "" : String(o[f])])) as Record<Override, string>,
  })),
});

/** Key fields one per line or comma-separated. */
const splitKeyFields = (text: string) => text.split(/[\n,]/).map((p) => p.trim()).filter((p) => p !== "");

/** Where a message shows: a top-level field, or `streams.<name>.<field>` (array indexes dropped). */
function errorKey(path: ReadonlyArray<PropertyKey>): string {
  const [head, name, field] = path.map(String);
  return head === "streams" && name !== undefined ? `streams.${name}.${field ?? "keyFields"}` : (head ?? "");
}

/** Form strings -> settings through the server's own schema, so the messages are the server's. */
function parse(v: Values): { value: ProfilerSettings | null; errors: Errors } {
  const errors: Errors = {};
  const num = (raw: string, key: string) => {
    const n = Number(raw.trim());
    if (raw.trim() === "") errors[key] = "enter a value";
    else if (!Number.isFinite(n)) errors[key] = "enter a number";
    return n;
  };
  const streams = new Map<string, Record<string, unknown>>();
  for (const r of v.rows) {
    const name = r.stream.trim();
    if (name === "") errors[`row.${r.id}`] = "pick a stream";
    else if (streams.has(name)) errors[`row.${r.id}`] = "this stream already has a row";
    if (name === "" || streams.has(name)) continue;
    const o: Record<string, unknown> = { keyFields: splitKeyFields(r.keyFields) };
    for (const f of OVERRIDES) if (r.overrides[f].trim() !== "") o[f] = num(r.overrides[f], `streams.${name}.${f}`);
    streams.set(name, o);
  }
  const candidate = {
    enabled: v.enabled,
    autoApply: v.autoApply,
    ...Object.fromEntries(NUMS.map(({ field }) => [field, num(v.nums[field], field)])),
    streams: Object.fromEntries(streams),
  };
  const parsed = profilerSettingsSchema.safeParse(candidate);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const key = errorKey(issue.path);
      if (!(key in errors)) errors[key] = issue.message;
    }
  }
  return { value: parsed.success && Object.keys(errors).length === 0 ? parsed.data : null, errors };
}

/** Server messages keyed like the form's; stream names may hold dots, so rows are matched by prefix. */
const prefix = (x: Row) => `streams.${x.stream.trim()}`;
function serverErrors(err: unknown, rows: readonly Row[]): Errors {
  if (!(err instanceof TRPCClientError)) return {};
  const out: Errors = {};
  for (const r of (err as TRPCClientError<AppRouter>).data?.details?.rejected ?? []) {
    // The longest match wins: rows "a" and "a.b" both prefix "streams.a.b.keyFields".
    const row = rows.filter((x) => r.path === prefix(x) || r.path.startsWith(`${prefix(x)}.`)).sort((a, b) => b.stream.length - a.stream.length)[0];
    const key = row ? `${prefix(row)}.${r.path.slice(prefix(row).length + 1).split(".")[0] || "keyFields"}` : (r.path.split(".")[0] ?? "");
    if (!(key in out)) out[key] = r.message.startsWith(`${r.path}: `) ? r.message.slice(r.path.length + 2) : r.message;
  }
  return out;
}


/** Data profiler and orchestrator settings (admins edit), with their change history. */
export function ProfilerSettingsSection() {
  const trpc = useTRPC();
  const canEdit = useCan("admin");
  const q = useQuery(trpc.profiler.settings.queryOptions());
  return (
    <section className="card" aria-labelledby="profiler-h" data-testid="profiler-settings">
      <div className="card-header">
        <h2 id="profiler-h">Data profiler and orchestrator</h2>
        {q.data ? (
          <span className="muted" title={formatDateTime(q.data.updatedAt)} data-testid="profiler-settings-updated">
            {q.data.updatedAt ? `changed ${formatAgo(q.data.updatedAt)}` : "defaults (never changed)"}
          </span>
        ) : null}
      </div>
      <p className="muted" style={{ marginTop: 0 }}>
        The edges sample events and profile their keys and each stream&apos;s key fields (JSON paths into the payload, e.g. <code>user.id</code> or{" "}
        <code>items[0].price</code>); the orchestrator scores every shardlet&apos;s health from those profiles and proposes splits and moves for the weak ones.
        Edges and the orchestrator read these within seconds.
      </p>
      {!canEdit ? (
        <div className="alert alert-info" role="status" data-testid="profiler-settings-readonly">
          You can view these settings. Admins can change them.
        </div>
      ) : null}
      <ErrorNote error={q.error} />
      {q.isPending ? <Loading what="profiler settings" /> : q.data ? <ProfilerSettingsForm current={q.data.settings} defaults={q.data.defaults} readOnly={!canEdit} /> : null}
      {q.data ? <ChangeHistory audit={q.data.audit} testId="profiler-settings-audit" /> : null}
    </section>
  );
}

function ProfilerSettingsForm({ current, defaults, readOnly }: { current: ProfilerSettings; defaults: ProfilerSettings; readOnly: boolean }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const streams = useQuery(trpc.streams.list.queryOptions(undefined, { refetchInterval: 30_000 }));
  const form = useSettingsForm({ current, toValues, parse, readOnly });
  const { values, errors, saved, edit } = form;
  const update = useMutation(
    trpc.profiler.updateSettings.mutationOptions({
      onSuccess: async (res) => {
        form.stored(res.settings, savedMessage(res.changed.length));
        await queryClient.invalidateQueries({ queryKey: trpc.profiler.settings.queryKey() });
        await queryClient.invalidateQueries({ queryKey: trpc.profiler.health.queryKey() });
      },
    }),
  );
  const fromServer = serverErrors(update.error, values.rows);
  const shown = (key: string) => errors[key] ?? fromServer[key];
  const addRow = (id: number) => edit((old) => ({ ...old, rows: [...old.rows, { id, stream: "", keyFields: "", overrides: blankOverrides() }] }));
  const editRow = (id: number, change: (r: Row) => Row) => edit((old) => ({ ...old, rows: old.rows.map((r) => (r.id === id ? change(r) : r)) }));
  const submit = form.submit((value) => update.mutate(value));
  const message = (key: string, id: string, hint?: string) =>
    shown(key) ? (
      <span className="field-error" id={`${id}-error`} data-testid={`${id}-error`}>
        {shown(key)}
      </span>
    ) : hint ? (
      <span className="hint">{hint}</span>
    ) : null;
  const aria = (key: string, id: string) => ({ "aria-invalid": shown(key) ? true : undefined, "aria-describedby": shown(key) ? `${id}-error` : undefined });
  // An error without field messages, or with one no field shows, goes into the general note.
  const shownKeys = new Set<string>([...NUMS.map((n) => n.field), ...values.rows.flatMap((r) => ["keyFields", ...OVERRIDES].map((f) => `streams.${r.stream.trim()}.${f}`))]);
  const fieldsShowAll = Object.keys(fromServer).length > 0 && Object.keys(fromServer).every((k) => shownKeys.has(k));
  const used = new Set(values.rows.map((r) => r.stream));
  const names = [...new Set([...(streams.data?.streams.map((s) => s.name) ?? []), ...values.rows.map((r) => r.stream).filter((n) => n !== "")])].sort();

  return (
    <form className="stack" onSubmit={submit} noValidate data-testid="profiler-settings-form" aria-readonly={readOnly || undefined}>
      <fieldset className="plain" disabled={readOnly || update.isPending}>
        <label className="checkbox">
          <input type="checkbox" checked={values.enabled} onChange={(e) => edit((old) => ({ ...old, enabled: e.target.checked }))} data-testid="pf-enabled" />
          Profile at the edges and run the orchestrator
        </label>
        <label className="checkbox">
          <input type="checkbox" checked={values.autoApply} onChange={(e) => edit((old) => ({ ...old, autoApply: e.target.checked }))} data-testid="pf-autoApply" />
          Let the orchestrator apply its proposals itself <span className="muted">(splits at once; moves as migrations inside the migration window)</span>
        </label>
        <NumericFieldGrid fields={NUMS} values={values.nums} defaults={defaults} shown={shown} idPrefix="pf" onChange={(f, v) => edit((old) => ({ ...old, nums: { ...old.nums, [f]: v } }))} />
        <div className="settings-group">
          <h3>Per stream</h3>
          {values.rows.length === 0 ? <p className="muted">No stream has key fields or overrides yet.</p> : null}
          {values.rows.map((r) => {
            const base = `streams.${r.stream.trim()}`;
            return (
              <div key={r.id} className="settings-grid" style={{ borderTop: "1px solid var(--border)", paddingTop: 10 }} data-testid="pf-stream-row" data-stream={r.stream}>
                <div className="field">
                  <label htmlFor={`pf-${r.id}-stream`}>Stream</label>
                  <select id={`pf-${r.id}-stream`} value={r.stream} onChange={(e) => editRow(r.id, (x) => ({ ...x, stream: e.target.value }))} data-testid="pf-stream-name" {...aria(`row.${r.id}`, `pf-${r.id}-stream`)}>
                    <option value="">Pick a stream…</option>
                    {names.map((n) => (
                      <option key={n} value={n} disabled={n !== r.stream && used.has(n)}>
                        {n}
                      </option>
                    ))}
                  </select>
                  {message(`row.${r.id}`, `pf-${r.id}-stream`)}
                  {!readOnly ? (
                    <button type="button" className="link" style={{ alignSelf: "flex-start" }} onClick={() => edit((old) => ({ ...old, rows: old.rows.filter((x) => x.id !== r.id) }))} data-testid="pf-stream-remove">
                      Remove this stream&apos;s settings
                    </button>
                  ) : null}
                </div>
                <div className="field">
                  <label htmlFor={`pf-${r.id}-keyFields`}>Key fields</label>
                  <textarea id={`pf-${r.id}-keyFields`} rows={3} value={r.keyFields} onChange={(e) => editRow(r.id, (x) => ({ ...x, keyFields: e.target.value }))} data-testid="pf-stream-keyFields" {...aria(`${base}.keyFields`, `pf-${r.id}-keyFields`)} />
                  {message(`${base}.keyFields`, `pf-${r.id}-keyFields`, "One per line or comma-separated.")}
                </div>
                {OVERRIDES.map((f) => (
                  <div className="field" key={f}>
                    <label htmlFor={`pf-${r.id}-${f}`}>{NUMS.find((n) => n.field === f)?.label ?? f}</label>
                    <input
                      id={`pf-${r.id}-${f}`}
                      inputMode="decimal"
                      placeholder={`default (${values.nums[f] || defaults[f]})`}
                      value={r.overrides[f]}
                      onChange={(e) => editRow(r.id, (x) => ({ ...x, overrides: { ...x.overrides, [f]: e.target.value } }))}
                      data-testid={`pf-stream-${f}`}
                      {...aria(`${base}.${f}`, `pf-${r.id}-${f}`)}
                    />
                    {message(`${base}.${f}`, `pf-${r.id}-${f}`, "Blank uses the default above.")}
                  </div>
                ))}
              </div>
            );
          })}
          {!readOnly ? (
            <div>
              <button type="button" className="secondary small" onClick={() => addRow(nextRowId++)} data-testid="pf-stream-add">
                Add a stream
              </button>
            </div>
          ) : null}
        </div>
      </fieldset>
      <SettingsFormFooter
        error={fieldsShowAll ? null : update.error}
        errorTestId="pf-error"
        readOnly={readOnly}
        pending={update.isPending}
        saved={saved}
        saveLabel="Save profiler settings"
        testIdPrefix="profiler-settings"
      />
    </form>
  );
}
