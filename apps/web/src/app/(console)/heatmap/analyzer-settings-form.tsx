"use client";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { analyzerSettingsSchema, type AnalyzerSettings } from "@shardcast/core/analyzer/settings";
import { ErrorNote, Notice } from "../../../components/ui.tsx";
import { fieldErrors } from "../../../lib/errors.ts";
import { useTRPC } from "../../../lib/trpc.ts";

type NumberKey = { [K in keyof AnalyzerSettings]: AnalyzerSettings[K] extends number ? K : never }[keyof AnalyzerSettings];
type BoolKey = { [K in keyof AnalyzerSettings]: AnalyzerSettings[K] extends boolean ? K : never }[keyof AnalyzerSettings];

const NUMBER_FIELDS: Array<{ key: NumberKey; label: string; hint: string; step: string }> = [
  { key: "horizonSec", label: "Forecast horizon (s)", hint: "How far ahead load is forecast; a whole number of steps.", step: "1" },
  { key: "bucketSec", label: "Step (s)", hint: "Length of one series step; a multiple of the 10 s telemetry resolution.", step: "10" },
  { key: "period", label: "Season (steps)", hint: "Steps in a day (a week is seven): 24 at hourly steps; 60 x 10 s is the demo's ten-minute day.", step: "1" },
  { key: "historySteps", label: "History (steps)", hint: "Steps of telemetry each forecast is fitted on; weekly models need two weeks and a day.", step: "1" },
  { key: "overloadFraction", label: "Overload fraction", hint: "Of the split write rate (shardlets) and of capacity (hosts).", step: "0.01" },
  { key: "hostLoadBound", label: "Host load bound", hint: "No host is planned above this multiple of the mean predicted utilisation.", step: "0.01" },
  { key: "scaleOutUtilization", label: "Scale-out utilisation", hint: "Propose a host when the forecast passes this fraction of capacity.", step: "0.01" },
  { key: "minMoveBenefit", label: "Minimum move benefit (events/s)", hint: "Taken off the busier host of a move.", step: "1" },
  { key: "minHostUtilization", label: "Minimum host utilisation", hint: "Hosts predicted below this fraction of capacity shed nothing.", step: "0.01" },
  { key: "minUrgencySec", label: "Minimum urgency (s)", hint: "Overloads sooner than this are left to the reactive manager.", step: "1" },
  { key: "maxProposals", label: "Proposals per run", hint: "Most splits and most moves one run proposes.", step: "1" },
  { key: "copyBytesPerSec", label: "Copy budget (bytes/s)", hint: "Judges whether a move finishes before the overload.", step: "1" },
  { key: "moveCooldownSec", label: "Move cool-down (s)", hint: "A shardlet moved this recently is not moved again.", step: "1" },
  { key: "telemetryLagSec", label: "Telemetry lag (s)", hint: "Steps younger than this are not complete yet and are not read.", step: "1" },
  { key: "retentionHours", label: "Keep forecasts (h)", hint: "Forecast points and runs without proposals are deleted after this.", step: "0.5" },
];
const BOOL_FIELDS: Array<{ key: BoolKey; label: string }> = [
  { key: "enabled", label: "Run the analyzer on its schedule" },
  { key: "forecastOnlyDefault", label: "New streams start in forecast-only mode" },
];

type Values = Record<NumberKey, string> & Record<BoolKey, boolean>;

function toValues(s: AnalyzerSettings): Values {
  const v = {} as Values;
  for (const f of NUMBER_FIELDS) v[f.key] = String(s[f.key]);
  for (const f of BOOL_FIELDS) v[f.key] = s[f.key];
  return v;
}

/** The analyzer's thresholds; admins edit them (validated with the server's schema, audited). */
export function AnalyzerSettingsForm({ current, readOnly }: { current: AnalyzerSettings; readOnly: boolean }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [values, setValues] = useState<Values>(() => toValues(current));
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [saved, setSaved] = useState<string | null>(null);
  const update = useMutation(
    trpc.analyzer.updateSettings.mutationOptions({
      onSuccess: async (res) => {
        setValues(toValues(res.analyzer));
        setErrors({});
        setSaved(res.changed.length === 0 ? "Saved; nothing changed." : `Saved ${res.changed.length} change${res.changed.length === 1 ? "" : "s"}; the next analyzer run uses them.`);
        await queryClient.invalidateQueries({ queryKey: trpc.analyzer.settings.queryKey() });
      },
    }),
  );
  const server = fieldErrors(update.error);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (readOnly) return;
    const raw: Record<string, unknown> = {};
    const found: Record<string, string> = {};
    for (const f of NUMBER_FIELDS) {
      const n = Number(values[f.key]);
      if (values[f.key].trim() === "" || !Number.isFinite(n)) found[f.key] = "enter a number";
      raw[f.key] = n;
    }
    for (const f of BOOL_FIELDS) raw[f.key] = values[f.key];
    const parsed = analyzerSettingsSchema.safeParse(raw);
    if (!parsed.success) for (const i of parsed.error.issues) found[String(i.path[0] ?? "")] ??= i.message;
    setErrors(found);
    setSaved(null);
    if (Object.keys(found).length > 0 || !parsed.success) return;
    update.mutate(parsed.data);
  };
  return (
    <form className="stack" onSubmit={submit} noValidate data-testid="analyzer-settings-form">
      {update.error && Object.keys(server).length === 0 ? <ErrorNote error={update.error} testId="analyzer-settings-error" /> : null}
      <Notice message={saved} testId="analyzer-settings-saved" />
      <fieldset className="plain" disabled={readOnly || update.isPending}>
        {BOOL_FIELDS.map((f) => (
          <label key={f.key} className="checkbox">
            <input
              type="checkbox"
              checked={values[f.key]}
              onChange={(e) => setValues((v) => ({ ...v, [f.key]: e.target.checked }))}
              data-testid={`analyzer-${f.key}`}
            />
            {f.label}
          </label>
        ))}
        <div className="settings-grid">
          {NUMBER_FIELDS.map((f) => {
            const error = errors[f.key] ?? server[f.key];
            return (
              <div key={f.key} className="field">
                <label htmlFor={`an-${f.key}`}>{f.label}</label>
                <input
                  id={`an-${f.key}`}
                  type="number"
                  step={f.step}
                  inputMode="decimal"
                  value={values[f.key]}
                  onChange={(e) => {
                    setSaved(null);
                    setValues((v) => ({ ...v, [f.key]: e.target.value }));
                  }}
                  aria-invalid={error ? true : undefined}
                  aria-describedby={error ? `an-${f.key}-error` : undefined}
                  data-testid={`analyzer-${f.key}`}
                />
                {error ? (
                  <span className="field-error" id={`an-${f.key}-error`} data-testid={`analyzer-${f.key}-error`}>
                    {error}
                  </span>
                ) : (
                  <span className="hint">{f.hint}</span>
                )}
              </div>
            );
          })}
        </div>
        {readOnly ? (
          <p className="muted" data-testid="analyzer-settings-readonly">
            Only admins change the analyzer settings.
          </p>
        ) : (
          <div className="form-actions">
            <button type="submit" data-testid="analyzer-settings-submit">
              Save analyzer settings
            </button>
          </div>
        )}
      </fieldset>
    </form>
  );
}
