import { z } from "zod";
import { weekPeriod } from "../forecast/weekly-naive.ts";
import { FINEST_RESOLUTION } from "../telemetry/buckets.ts";

const MIB = 1024 * 1024;

/**
 * The product's series step: an hour. Real load has a daily and a weekly cycle, and the weekly
 * models need two weeks of history before they are seasonal; at hourly steps that is 337 steps,
 * read from the hourly telemetry rollup, which is kept 400 days. Finer steps read rollups kept
 * for a day (10 s) or 14 days (1 min), which cannot hold two weeks and a validation window.
 * Shorter-lived load (a burst within the hour) is the reactive manager's, not the forecast's.
 */
export const DEFAULT_ANALYZER_BUCKET_SEC = 3_600;
/** A day in default steps: the daily season (the weekly models take seven of them as a week). */
export const DEFAULT_ANALYZER_PERIOD = 86_400 / DEFAULT_ANALYZER_BUCKET_SEC;
/**
 * Three weeks of default steps (504). The selection scores each candidate from origins up to
 * `max(period, 2 x horizon)` steps before the end of the history, and double-seasonal Holt-Winters
 * and the weekly median are weekly only from two weeks and a step (337) at the origin: two weeks
 * of history would leave every origin short, three leave each one a week to spare, and give the
 * final forecast a weekly median over three weeks (a true median, which outvotes one odd week).
 */
export const DEFAULT_ANALYZER_HISTORY_STEPS = 3 * weekPeriod(DEFAULT_ANALYZER_PERIOD);
/**
 * Half a day ahead (12 steps): a split or a move is proposed the morning before the afternoon
 * peak, the same share of a day the demo's 300 s horizon is of its ten-minute day.
 */
export const DEFAULT_ANALYZER_HORIZON_SEC = 12 * DEFAULT_ANALYZER_BUCKET_SEC;
/** The longest horizon the analyzer can be set to: no forecast reaches further. */
export const MAX_ANALYZER_HORIZON_SEC = 7 * 86_400;

/**
 * Settings of the predictive load analyzer. Stored in the control database under the key
 * `analyzer` (edited by admins in the console, audited) and read by the worker on every run; the
 * simulator passes them directly. `horizonSec`, `bucketSec`, `historySteps` and `period` decide the
 * series the worker builds; `analyzeLoad` takes the step counts from its input.
 */
export const analyzerSettingsSchema = z
  .object({
    /** Run the analyzer on its schedule (a run asked for by an operator happens either way). */
    enabled: z.boolean().default(true),
    /** How far ahead load is forecast. */
    horizonSec: z.number().int().min(10, "horizon must be at least 10 s").max(MAX_ANALYZER_HORIZON_SEC, "horizon must be at most 7 days").default(DEFAULT_ANALYZER_HORIZON_SEC),
    /** Length of one series step; telemetry at this resolution (or a finer one that divides it) is read. */
    bucketSec: z.number().int().min(FINEST_RESOLUTION, `bucket must be at least ${FINEST_RESOLUTION} s`).max(86_400, "bucket must be at most 1 day").default(DEFAULT_ANALYZER_BUCKET_SEC),
    /** Steps per daily season (a week is seven of them): 24 at hourly steps; the demo's ten-minute day is 60 x 10 s. */
    period: z.number().int().min(1, "period must be at least 1 step").max(100_000).default(DEFAULT_ANALYZER_PERIOD),
    /** Steps of history each forecast is fitted on (and scored on, before its model is chosen). */
    historySteps: z.number().int().min(4, "history must have at least 4 steps").max(20_000).default(DEFAULT_ANALYZER_HISTORY_STEPS),
    /** A shardlet counts as overloaded at this fraction of the split write rate (and a host at this fraction of its capacity). */
    overloadFraction: z.number().min(0.1, "overload fraction must be at least 0.1").max(1, "overload fraction must be at most 1").default(0.9),
    /** Bounded loads: no host is planned above this multiple of the mean predicted utilisation. */
    hostLoadBound: z.number().min(1.01, "host load bound must be above 1").max(4, "host load bound must be at most 4").default(1.25),
    /** Overloads predicted sooner than this are left to the reactive manager (0: propose every one). */
    minUrgencySec: z.number().int().min(0).max(7 * 86_400).default(0),
    /** Most split and most move proposals one run makes (each). */
    maxProposals: z.number().int().min(1, "at least one proposal per run").max(1000).default(20),
    /** Propose adding a host when forecast cluster load or size passes this fraction of the hosts' capacity. */
    scaleOutUtilization: z.number().min(0.1, "scale-out utilisation must be at least 0.1").max(1, "scale-out utilisation must be at most 1").default(0.85),
    /**
     * Hosts predicted below this fraction of their capacity shed nothing, however uneven: moving
     * bytes between idle hosts buys nothing (0 balances at any load).
     */
    minHostUtilization: z.number().min(0).max(1, "minimum host utilisation must be at most 1").default(0.3),
    /** A move must take at least this many events/s off the busier of its two hosts. */
    minMoveBenefit: z.number().min(0).max(1e7).default(25),
    /** Copy budget used to judge whether a move finishes before the predicted overload (bytes/s). */
    copyBytesPerSec: z.number().min(1024, "copy budget must be at least 1 KiB/s").max(10 * 1024 * MIB).default(20 * MIB),
    /** A shardlet moved within this many seconds is not proposed for another move (no ping-pong). */
    moveCooldownSec: z.number().int().min(0).max(7 * 86_400).default(900),
    /** Buckets younger than this are not complete in telemetry yet (edge flush + rollup) and are not read. */
    telemetryLagSec: z.number().int().min(0).max(3_600).default(15),
    /** Forecast points and runs without proposals are kept this long. */
    retentionHours: z.number().min(0.1).max(24 * 90).default(6),
    /** New streams start in forecast-only mode (propose, never act). Off: they start acting. */
    forecastOnlyDefault: z.boolean().default(true),
  })
  .refine((s) => s.bucketSec % FINEST_RESOLUTION === 0, {
    message: `bucket must be a multiple of the ${FINEST_RESOLUTION} s telemetry resolution`,
    path: ["bucketSec"],
  })
  .refine((s) => s.horizonSec % s.bucketSec === 0, { message: "horizon must be a whole number of buckets", path: ["horizonSec"] })
  .refine((s) => s.horizonSec / s.bucketSec <= 2_000, { message: "horizon may span at most 2,000 buckets", path: ["horizonSec"] });

export type AnalyzerSettings = z.infer<typeof analyzerSettingsSchema>;

export const ANALYZER_SETTINGS_KEY = "analyzer";

export const PREDICTIVE_MODES = ["forecast_only", "act"] as const;
export type PredictiveMode = (typeof PREDICTIVE_MODES)[number];

export function isPredictiveMode(value: string): value is PredictiveMode {
  return (PREDICTIVE_MODES as readonly string[]).includes(value);
}

/** Settings from the stored value; missing fields take their defaults, invalid values throw. */
export function parseAnalyzerSettings(stored: unknown): AnalyzerSettings {
  return analyzerSettingsSchema.parse(stored ?? {});
}

/**
 * Where the analyzer's forecast starts: the end of the last step telemetry has completely rolled
 * up (`now - telemetryLagSec`, floored to a whole step).
 */
export function forecastStartMs(nowMs: number, settings: Pick<AnalyzerSettings, "bucketSec" | "telemetryLagSec">): number {
  const stepMs = settings.bucketSec * 1000;
  return Math.floor((nowMs - settings.telemetryLagSec * 1000) / stepMs) * stepMs;
}
