"use client";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useState, type FormEvent, type ReactNode } from "react";
import { TRPCClientError } from "@trpc/client";
import type { AppRouter } from "@shardcast/api";
import { migrationSettingsSchema, type MigrationSettings } from "@shardcast/core/migration/settings";
import { rebalanceSettingsSchema, type RebalanceSettings } from "@shardcast/core/placement/settings";
import { ErrorNote, Notice } from "../../../components/ui.tsx";
import { fieldErrors } from "../../../lib/errors.ts";
import { useTRPC } from "../../../lib/trpc.ts";

/**
 * The rebalancer's and the mover's settings in one form. Fields come from the stored values, so a
 * setting the mover adds later shows up without a change here (with its name as the label until
 * one is added below). Both halves are checked with the server's schemas before anything is sent.
 */

type Section = "rebalance" | "migration";
type Values = Record<string, string | boolean>;
const MIB = 1024 * 1024;

const LABELS: Record<string, { label: string; hint?: string; scale?: number; unit?: string }> = {
  "rebalance.enabled": { label: "Propose moves automatically", hint: "drains and manual moves work either way" },
  "rebalance.moveMode": { label: "How moves are made" },
  "rebalance.drainHistory": { label: "History left on a draining host" },
  "rebalance.autoApprove": { label: "Auto-approve the rebalancer's proposals", hint: "off: an operator approves each move" },
  "rebalance.tolerance": { label: "Tolerance", hint: "a host triggers above its share × (1 + this); 0.2 = 20%" },
  "rebalance.hysteresis": { label: "Hysteresis", hint: "destinations stay below share × (1 + tolerance − this)" },
  "rebalance.minHostLoad": { label: "Minimum host load", unit: "events/s", hint: "cooler hosts never trigger" },
  "rebalance.minBenefitPerMB": { label: "Minimum benefit per MiB", unit: "events/s per MiB", hint: "load taken off per MiB copied" },
  "rebalance.bandwidthBytesPerSec": { label: "Copy bandwidth", unit: "MiB/s", scale: MIB, hint: "for all moves of one run" },
  "rebalance.maxCopySec": { label: "Copy budget per run", unit: "s", hint: "a run's moves must copy within this" },
  "rebalance.headroomFraction": { label: "Destination headroom", hint: "fraction of capacity a destination keeps free" },
  "rebalance.maxProposalsPerRun": { label: "Proposals per run (max)", hint: "also the open drain moves per host" },
  "rebalance.cooldownSec": { label: "Cool-down", unit: "s", hint: "a moved shardlet stays put this long" },
  "rebalance.windowStartHourUtc": { label: "Migration window start", unit: "h UTC", hint: "0 and 24: any time" },
  "rebalance.windowEndHourUtc": { label: "Migration window end", unit: "h UTC" },
  "rebalance.outlookWindowSec": { label: "Look-ahead window", unit: "s", hint: "a host's rise is measured over this (whole minutes)" },
  "rebalance.outlookLeadSec": { label: "Look-ahead", unit: "s", hint: "a rising host is planned at its rise carried on this long; 0 = off" },
  "rebalance.proposalTtlSec": { label: "Proposal lifetime", unit: "s", hint: "undecided proposals are withdrawn after this" },
  "migration.chunkRows": { label: "Copy chunk", unit: "rows" },
  "migration.rowsPerSecond": { label: "Copy budget", unit: "rows/s", hint: "per migration; 0 = unlimited" },
  "migration.verifyRangeRows": { label: "Verify range", unit: "rows" },
  "migration.switchTailRows": { label: "Switch tail", unit: "rows", hint: "verification repeats until the tail is this small" },
  "migration.maxVerifyRounds": { label: "Verify rounds (max)" },
  "migration.cleanupGraceMs": { label: "Cleanup grace", unit: "ms", hint: "the source keeps its rows this long after the switch" },
  "migration.cleanupChunkRows": { label: "Cleanup chunk", unit: "rows" },
  "migration.cleanupRowsPerSecond": { label: "Cleanup budget", unit: "rows/s", hint: "deletions per second; 0 = unlimited" },
  "migration.progressEveryChunks": { label: "Progress log every", unit: "chunks" },
  "migration.maxAttempts": { label: "Attempts before giving up" },
};

/**
 * Settings that take one of a few words, each choice with a line saying what it does (shown under
 * the select): the planners' move mode and a drain's handling of hand-offs' history.
 */
const CHOICES: Record<string, ReadonlyArray<{ value: string; label: string; help: string }>> = {
  "rebalance.moveMode": [
    {
      value: "handoff",
      label: "Hand-off",
      help: "The rebalancer, the analyzer and drains seal the shardlet where it is and open a successor on the destination in seconds; no row is copied, its history stays readable there until the stream's retention drops it.",
    },
    {
      value: "copy",
      label: "Copy history",
      help: "The history moves with the load (shadow writes, chunked copy, verify, switch) at the copy bandwidth: slower, but the range's events end up on one host.",
    },
  ],
  "rebalance.drainHistory": [
    {
      value: "expire",
      label: "Let it expire",
      help: "The history hand-offs leave on a draining host stays there, readable, until the stream's retention drops it; the host can be retired once the last of it has expired.",
    },
    {
      value: "copy",
      label: "Copy it off",
      help: "The history is copied to other hosts at the copy bandwidth; the host can be retired as soon as the copies are done.",
    },
  ],
};

/** The choice settings of a group side by side, between its switches and its numbers. */
function ChoiceRow({ children }: { children: ReactNode[] }) {
  if (children.length === 0) return null;
  return (
    <div className="settings-grid" style={{ gridTemplateColumns: "repeat(auto-fit, minmax(320px, 1fr))", margin: "10px 0 14px" }}>
      {children}
    </div>
  );
}

function toValues(section: Section, s: object): Values {
  const out: Values = {};
  for (const [k, v] of Object.entries(s)) {
    const path = `${section}.${k}`;
    const scale = LABELS[path]?.scale ?? 1;
    out[path] = typeof v === "boolean" ? v : typeof v === "number" ? String(Number((v / scale).toFixed(6))) : String(v);
  }
  return out;
}

function fromValues(values: Values, section: Section): { value: Record<string, unknown>; errors: Record<string, string> } {
  const value: Record<string, unknown> = {};
  const errors: Record<string, string> = {};
  for (const [path, raw] of Object.entries(values)) {
    if (!path.startsWith(`${section}.`)) continue;
    const key = path.slice(section.length + 1);
    if (typeof raw === "boolean" || CHOICES[path]) {
      value[key] = raw;
      continue;
    }
    if (raw.trim() === "") {
      errors[path] = "enter a value";
      continue;
    }
    const n = Number(raw);
    if (!Number.isFinite(n)) {
      errors[path] = "enter a number";
      continue;
    }
    const scale = LABELS[path]?.scale ?? 1;
    value[key] = scale === 1 ? n : Math.round(n * scale);
  }
  return { value, errors };
}

function check(values: Values): { rebalance: RebalanceSettings | null; migration: MigrationSettings | null; errors: Record<string, string> } {
  const r = fromValues(values, "rebalance");
  const m = fromValues(values, "migration");
  const errors = { ...r.errors, ...m.errors };
  const rp = rebalanceSettingsSchema.safeParse(r.value);
  const mp = migrationSettingsSchema.safeParse(m.value);
  for (const [section, parsed] of [
    ["rebalance", rp],
    ["migration", mp],
  ] as const) {
    if (parsed.success) continue;
    for (const issue of parsed.error.issues) {
      const path = `${section}.${issue.path.map(String).join(".")}`;
      if (!(path in errors)) errors[path] = issue.message;
    }
  }
  const ok = Object.keys(errors).length === 0;
  return { rebalance: ok && rp.success ? rp.data : null, migration: ok && mp.success ? mp.data : null, errors };
}

/** Server messages by full field path ("rebalance.tolerance"); `fieldErrors` keys by the first segment only. */
function rejectedByPath(err: unknown): Record<string, string> {
  if (!(err instanceof TRPCClientError)) return {};
  const out: Record<string, string> = {};
  for (const r of (err as TRPCClientError<AppRouter>).data?.details?.rejected ?? []) {
    if (!(r.path in out)) out[r.path] = r.message.replace(/^[\w.]+: /, "");
  }
  return out;
}

export function MoveSettingsForm({
  current,
  defaults,
  readOnly,
}: {
  current: { rebalance: RebalanceSettings; migration: MigrationSettings };
  defaults: { rebalance: RebalanceSettings; migration: MigrationSettings };
  readOnly: boolean;
}) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const initial = () => ({ ...toValues("rebalance", current.rebalance), ...toValues("migration", current.migration) });
  const [values, setValues] = useState<Values>(initial);
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [saved, setSaved] = useState<string | null>(null);
  const update = useMutation(
    trpc.migrations.updateSettings.mutationOptions({
      onSuccess: async (res) => {
        setValues({ ...toValues("rebalance", res.rebalance), ...toValues("migration", res.migration) });
        setErrors({});
        setSaved(
          res.changed.length === 0
            ? "Saved; nothing changed."
            : `Saved ${res.changed.length} change${res.changed.length === 1 ? "" : "s"}. The planner and the mover apply them on their next run, without a restart.`,
        );
        await queryClient.invalidateQueries({ queryKey: trpc.migrations.settings.queryKey() });
        await queryClient.invalidateQueries({ queryKey: trpc.migrations.planner.queryKey() });
      },
    }),
  );
  const serverErrors = fieldErrors(update.error);
  const serverByPath = rejectedByPath(update.error);
  const shown = (path: string) => errors[path] ?? serverByPath[path];
  const set = (path: string, v: string | boolean) => {
    setSaved(null);
    setValues((old) => ({ ...old, [path]: v }));
  };
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (readOnly) return;
    const r = check(values);
    setErrors(r.errors);
    setSaved(null);
    if (!r.rebalance || !r.migration) return;
    update.mutate({ rebalance: r.rebalance, migration: r.migration });
  };

  const field = (path: string) => {
    const meta = LABELS[path] ?? { label: path.split(".")[1] ?? path };
    const v = values[path];
    const id = `ms-${path.replace(".", "-")}`;
    const message = shown(path);
    const [section, key] = path.split(".") as [Section, string];
    const def = (defaults[section] as Record<string, unknown>)[key];
    const choices = CHOICES[path];
    if (choices) {
      const chosen = choices.find((c) => c.value === v);
      const defLabel = choices.find((c) => c.value === def)?.label ?? String(def);
      return (
        <div className="field" key={path}>
          <label htmlFor={id}>{meta.label}</label>
          <select
            id={id}
            value={typeof v === "string" ? v : ""}
            onChange={(e) => set(path, e.target.value)}
            aria-invalid={message ? true : undefined}
            aria-describedby={`${id}-help`}
            data-testid={`ms-${path}`}
            style={{ maxWidth: 320 }}
          >
            {choices.map((c) => (
              <option key={c.value} value={c.value}>
                {c.label}
              </option>
            ))}
          </select>
          {message ? (
            <span className="field-error" id={`${id}-help`} data-testid={`ms-${path}-error`}>
              {message}
            </span>
          ) : (
            <span className="hint" id={`${id}-help`} data-testid={`ms-${path}-help`}>
              {chosen ? `${chosen.help} ` : ""}Default: {defLabel.toLowerCase()}.
            </span>
          )}
        </div>
      );
    }
    if (typeof v === "boolean") {
      return (
        <label key={path} className="checkbox">
          <input type="checkbox" checked={v} onChange={(e) => set(path, e.target.checked)} data-testid={`ms-${path}`} />
          {meta.label} {meta.hint ? <span className="muted">({meta.hint})</span> : null}
        </label>
      );
    }
    return (
      <div className="field" key={path}>
        <label htmlFor={id}>
          {meta.label}
          {meta.unit ? <span className="muted"> ({meta.unit})</span> : null}
        </label>
        <input
          id={id}
          type="number"
          step="any"
          inputMode="decimal"
          value={v ?? ""}
          onChange={(e) => set(path, e.target.value)}
          aria-invalid={message ? true : undefined}
          aria-describedby={message ? `${id}-error` : undefined}
          data-testid={`ms-${path}`}
        />
        {message ? (
          <span className="field-error" id={`${id}-error`} data-testid={`ms-${path}-error`}>
            {message}
          </span>
        ) : (
          <span className="hint">
            {meta.hint ? `${meta.hint}; ` : ""}default {typeof def === "number" ? String(Number((def / (meta.scale ?? 1)).toFixed(6))) : String(def)}
          </span>
        )}
      </div>
    );
  };
  const paths = (section: Section) => Object.keys(values).filter((p) => p.startsWith(`${section}.`));
  const booleans = (section: Section) => paths(section).filter((p) => typeof values[p] === "boolean");
  const choices = (section: Section) => paths(section).filter((p) => CHOICES[p] !== undefined);
  const numbers = (section: Section) => paths(section).filter((p) => typeof values[p] !== "boolean" && CHOICES[p] === undefined);

  return (
    <form className="stack" onSubmit={submit} noValidate data-testid="move-settings-form" aria-readonly={readOnly || undefined}>
      {update.error && Object.keys(serverErrors).length === 0 ? <ErrorNote error={update.error} testId="ms-error" /> : null}
      <Notice message={saved} testId="ms-saved" />
      <fieldset className="plain" disabled={readOnly || update.isPending}>
        <div className="settings-group">
          <h3>Rebalancer</h3>
          {booleans("rebalance").map(field)}
          <ChoiceRow>{choices("rebalance").map(field)}</ChoiceRow>
          <div className="settings-grid">{numbers("rebalance").map(field)}</div>
        </div>
        <div className="settings-group">
          <h3>Mover</h3>
          {booleans("migration").map(field)}
          <ChoiceRow>{choices("migration").map(field)}</ChoiceRow>
          <div className="settings-grid">{numbers("migration").map(field)}</div>
        </div>
      </fieldset>
      {readOnly ? null : (
        <div className="form-actions">
          <button type="submit" disabled={update.isPending} data-testid="ms-submit">
            {update.isPending ? "Saving…" : "Save migration settings"}
          </button>
          <button
            type="button"
            className="secondary"
            disabled={update.isPending}
            onClick={() => {
              setValues(initial());
              setErrors({});
              update.reset();
            }}
          >
            Discard changes
          </button>
          <button
            type="button"
            className="link"
            disabled={update.isPending}
            onClick={() => {
              setValues({ ...toValues("rebalance", defaults.rebalance), ...toValues("migration", defaults.migration) });
              setErrors({});
            }}
            data-testid="ms-defaults"
          >
            Fill in the defaults
          </button>
        </div>
      )}
    </form>
  );
}
