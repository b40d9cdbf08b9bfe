import {
  ANALYZER_SETTINGS_KEY,
  analyzerSettingsSchema,
  isPredictiveMode,
  ShardcastError,
  type AnalyzerSettings,
  type PredictiveMode,
} from "@shardcast/core";
import type { ControlDb } from "../client.ts";
import { mergeSettingsObject, type SettingActor } from "../settings.ts";

/**
 * The predictive analyzer's control-database side: its settings, runs with their forecast points,
 * proposals (split / migrate / add_host) and their decisions, stream predictive modes, and the
 * series it forecasts from (telemetry write counts re-bucketed to the analyzer's step).
 */

/** The analyzer settings as stored (defaults for what is missing or no longer valid). */
export async function getAnalyzerSettings(db: ControlDb): Promise<AnalyzerSettings> {
  const row = await db.setting.findUnique({ where: { key: ANALYZER_SETTINGS_KEY } });
  const parsed = analyzerSettingsSchema.safeParse(row?.value ?? {});
  // A value an older release stored that no longer validates must not stop the analyzer.
  return parsed.success ? parsed.data : analyzerSettingsSchema.parse({});
}

/** When the analyzer settings were last saved, or null while the defaults apply. */
export async function analyzerSettingsUpdatedAt(db: ControlDb): Promise<Date | null> {
  const row = await db.setting.findUnique({ where: { key: ANALYZER_SETTINGS_KEY }, select: { updatedAt: true } });
  return row?.updatedAt ?? null;
}

/**
 * Validates and stores the analyzer settings (a partial value is merged over the current one),
 * auditing the change. Invalid values are rejected with `validation_failed`, one issue per field,
 * and nothing is stored.
 */
export function updateAnalyzerSettings(db: ControlDb, value: Partial<AnalyzerSettings>, actor: SettingActor | null): Promise<AnalyzerSettings> {
  return mergeSettingsObject(db, ANALYZER_SETTINGS_KEY, analyzerSettingsSchema, "analyzer", value, actor);
}

export interface StreamPredictiveMode {
  id: string;
  name: string;
  mode: PredictiveMode;
  createdAt: Date;
}

function modeOf(value: string): PredictiveMode {
  // An unknown stored value never makes the analyzer act.
  return isPredictiveMode(value) ? value : "forecast_only";
}

export async function listStreamPredictiveModes(db: ControlDb): Promise<StreamPredictiveMode[]> {
  const rows = await db.stream.findMany({ select: { id: true, name: true, predictiveMode: true, createdAt: true }, orderBy: { name: "asc" } });
  return rows.map((r) => ({ id: r.id, name: r.name, mode: modeOf(r.predictiveMode), createdAt: r.createdAt }));
}

/** Sets a stream's predictive mode; returns the mode before and after. */
export async function setStreamPredictiveMode(
  db: ControlDb,
  streamId: string,
  mode: PredictiveMode,
): Promise<{ id: string; name: string; before: PredictiveMode; after: PredictiveMode }> {
  if (!isPredictiveMode(mode)) throw new ShardcastError("validation_failed", `predictive mode must be forecast_only or act`);
  return db.$transaction(async (tx) => {
    // NO KEY: transactions that insert rows referencing the stream (shardlets, groups, migrations)
    // hold KEY SHARE on it until they commit; a mode change need not wait for them.
    const rows = await tx.$queryRaw<Array<{ id: string; name: string; predictive_mode: string }>>`
      SELECT id, name, predictive_mode FROM streams WHERE id = ${streamId} FOR NO KEY UPDATE`;
    const row = rows[0];
    if (!row) throw new ShardcastError("not_found", "no such stream");
    await tx.stream.update({ where: { id: streamId }, data: { predictiveMode: mode } });
    return { id: row.id, name: row.name, before: modeOf(row.predictive_mode), after: mode };
  });
}

/**
 * Streams created after `since` that still have the column's default mode take `mode` (how the
 * `forecastOnlyDefault` setting reaches new streams). Returns the streams changed.
 */
export async function applyDefaultPredictiveMode(db: ControlDb, since: Date, mode: PredictiveMode): Promise<string[]> {
  if (mode === "forecast_only") return [];
  const rows = await db.stream.findMany({ where: { createdAt: { gt: since }, predictiveMode: "forecast_only" }, select: { id: true } });
  if (rows.length === 0) return [];
  await db.stream.updateMany({ where: { id: { in: rows.map((r) => r.id) }, predictiveMode: "forecast_only" }, data: { predictiveMode: mode } });
  return rows.map((r) => r.id);
}
