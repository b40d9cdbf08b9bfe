import { ANALYZER_SETTINGS_KEY, analyzerSettingsSchema, type AnalyzerSettings } from "@shardcast/core";
import { settingsKind } from "./settings-merge.ts";

/** The analyzer's settings as a save sees them (saved as a merge, see settings-merge.ts). */
export const analyzerSettings = settingsKind(ANALYZER_SETTINGS_KEY, analyzerSettingsSchema);

export const ANALYZER_DEFAULTS: AnalyzerSettings = analyzerSettings.defaults;
