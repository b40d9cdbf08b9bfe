import { describe, expect, it } from "vitest";
import { forecastReads, readRateToPlan, seasonalNaive, type Forecaster } from "../src/index.ts";

const opts = { now: 1_000_000, bucketMs: 10_000, horizonSteps: 4, period: 4 };

describe("forecastReads", () => {
  it("forecasts each read series with the model, and carries the rate of a series without history", () => {
    const out = forecastReads({
      ...opts,
      forecaster: seasonalNaive,
      series: [
        { id: "a", history: [1, 2, 3, 4, 1, 2, 3, 4], load: 4 },
        { id: "new", history: [], load: 7 },
      ],
    });
    expect(out.forecasts.get("a")).toEqual([1, 2, 3, 4]);
    expect(out.forecasts.get("new")).toEqual([7, 7, 7, 7]);
    expect([...out.carried]).toEqual(["new"]);
    expect(out.modelForecasts.size).toBe(0);
  });

  it("plans an untrusted series on its observed rate and keeps the model's forecast to judge it", () => {
    const out = forecastReads({ ...opts, forecaster: seasonalNaive, series: [{ id: "a", history: [1, 2, 3, 4, 1, 2, 3, 9], load: 9 }], untrusted: new Map([["a", "missed"]]) });
    expect(out.forecasts.get("a")).toEqual([9, 9, 9, 9]);
    expect(out.modelForecasts.get("a")).toEqual([1, 2, 3, 9]);
  });

  it("carries the last rate of a series the model cannot fit, and still forecasts the others", () => {
    const failing: Forecaster = {
      kind: "seasonal_naive",
      forecast: (input) => {
        if (input.history[0] === 5) throw new Error("cannot fit");
        return seasonalNaive.forecast(input);
      },
    };
    const out = forecastReads({
      ...opts,
      forecaster: failing,
      series: [
        { id: "bad", history: [5, 5, 5, 6], load: 6 },
        { id: "ok", history: [1, 2, 3, 4], load: 4 },
      ],
    });
    expect(out.forecasts.get("bad")).toEqual([6, 6, 6, 6]);
    expect(out.forecasts.get("ok")).toEqual([1, 2, 3, 4]);
    expect([...out.carried]).toEqual(["bad"]);
  });
});

describe("readRateToPlan", () => {
  it("raises the observed rate to a trusted forecast's peak", () => {
    expect(readRateToPlan(10, { peak: 250, model: "weekly_median" })).toEqual({ rate: 250, forecast: true });
  });

  it("never lowers the observed rate on a forecast of quiet", () => {
    expect(readRateToPlan(300, { peak: 20, model: "holt_winters" })).toEqual({ rate: 300, forecast: false });
  });

  it("ignores forecasts the analyzer did not trust or could not make", () => {
    expect(readRateToPlan(10, { peak: 250, model: "observed_rate" })).toEqual({ rate: 10, forecast: false });
    expect(readRateToPlan(10, { peak: 250, model: "last_rate" })).toEqual({ rate: 10, forecast: false });
    expect(readRateToPlan(10, undefined)).toEqual({ rate: 10, forecast: false });
  });
});
