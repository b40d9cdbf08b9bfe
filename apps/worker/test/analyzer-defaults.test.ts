import {
  hasTwoWeeks,
  parseAnalyzerSettings,
  selectingForecaster,
  standardCandidates,
  TELEMETRY_RETENTION_MS,
  validationOrigins,
  weekPeriod,
  type ForecastInput,
  type ForecastModelKind,
  type TelemetryResolution,
} from "@shardcast/core";
import { resolutionForStep } from "@shardcast/db";
import { describe, expect, it } from "vitest";
import { analyzerSelectionOptions, selectionModel } from "../src/analyzer/model.ts";

const DAY_SEC = 86_400;
const WEEKLY: readonly ForecastModelKind[] = ["weekly_naive", "weekly_median", "double_seasonal", "ensemble"];

/** Deterministic noise in [-1, 1), so a failure reproduces. */
function noise(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1_664_525) + 1_013_904_223) >>> 0;
    return (s / 2 ** 32) * 2 - 1;
  };
}

/**
 * Hourly writes/s starting on a Monday: an afternoon peak every day, and weekends at 40 % of a
 * weekday, which a daily model carries from Friday into Saturday and a weekly one does not.
 */
function officeLoad(steps: number, stepSec: number): number[] {
  const rand = noise(7);
  return Array.from({ length: steps }, (_, t) => {
    const sec = t * stepSec;
    const hour = (sec % DAY_SEC) / 3_600;
    const weekend = Math.floor(sec / DAY_SEC) % 7 >= 5;
    const daily = 100 + 80 * Math.max(0, Math.sin(((hour - 6) / 12) * Math.PI));
    return (weekend ? 0.4 : 1) * daily + 3 * rand();
  });
}

describe("analyzer defaults: production loads", () => {
  const settings = parseAnalyzerSettings({});
  const horizon = settings.horizonSec / settings.bucketSec;

  it("count a season as a day and seven of them as a week, in the analyzer's steps", () => {
    expect(settings.period * settings.bucketSec).toBe(DAY_SEC);
    expect(weekPeriod(settings.period) * settings.bucketSec).toBe(7 * DAY_SEC);
  });

  it("give every validation origin of the default history the two weeks the weekly models need", () => {
    const origins = validationOrigins(settings.historySteps, horizon, settings.period, analyzerSelectionOptions(horizon, settings.period));
    expect(origins).toHaveLength(3);
    for (const o of origins) expect(hasTwoWeeks(o.origin, settings.period)).toBe(true);
  });

  it("read a history that the telemetry rollups still hold", () => {
    const resolution = resolutionForStep(settings.bucketSec) as TelemetryResolution;
    const readMs = (settings.historySteps * settings.bucketSec + settings.telemetryLagSec + settings.bucketSec) * 1000;
    expect(readMs).toBeLessThanOrEqual(TELEMETRY_RETENTION_MS[resolution]);
  });

  it("let the selection score every candidate and choose a weekly one on weekly load", async () => {
    const history = officeLoad(settings.historySteps, settings.bucketSec);
    const input: ForecastInput = { history, horizon, period: settings.period, startMs: 0, stepMs: settings.bucketSec * 1000 };
    // The selection the analyzer builds per run (the same candidates and scoring options).
    const choice = selectingForecaster(standardCandidates(), analyzerSelectionOptions(horizon, settings.period)).forecastWithChoice(input);
    for (const s of choice.scores) expect(s.mase, s.kind).not.toBeNull();
    const score = (kind: ForecastModelKind) => choice.scores.find((s) => s.kind === kind)!.mase!;
    expect(score("weekly_naive")).toBeLessThan(score("seasonal_naive"));
    expect(WEEKLY).toContain(choice.kind);

    const model = selectionModel(null, "selection (default)");
    const forecaster = await model.forecasterFor([input]);
    const values = forecaster.forecast(input);
    expect(values).toHaveLength(horizon);
    expect(WEEKLY).toContain(model.chosenFor!(history));
  });
});
