import { describe, expect, it } from "vitest";
import { bestFixedInterval, compareCheckpointPolicies, createRng, fixedIntervalPolicy, predictivePolicy, stepForecasts } from "../src/index.ts";

/** A daily rhythm (hourly steps): mean 300 events/s, from about 160 at night to 440 at the peak. */
function diurnal(days: number): number[] {
  return Array.from({ length: days * 24 }, (_, h) => (300 * (1 + 0.9 * Math.sin(((h % 24) / 24) * 2 * Math.PI - Math.PI / 2) ** 2 * 2)) / 1.9);
}

describe("checkpoint policies replayed over a rhythm", () => {
  const input = { rates: diurnal(10), stepSec: 60, warmup: 3 * 24, replaySecPerEvent: 0.001, boundSec: 30, decisionIntervalSec: 5, period: 24 };

  it("keeps every policy within the bound and orders them as expected", () => {
    const c = compareCheckpointPolicies(input);
    expect(c.predictive.horizonSec).toBe(5);
    expect(c.predictiveLong.horizonSec).toBe(60);
    for (const p of [c.predictive, c.predictiveLong, c.fixed, c.reactive, c.reactiveTuned, c.oracle]) expect(p.p99ReplaySec).toBeLessThanOrEqual(input.boundSec + 1e-9);
    // Rate-aware checkpoints beat a fixed interval sized for the peak.
    expect(c.predictive.checkpoints).toBeLessThan(c.fixed.checkpoints);
    // Nobody that keeps the max within the bound beats the oracle that knows the next interval.
    expect(c.oracle.checkpoints).toBeLessThanOrEqual(c.predictive.checkpoints);
    expect(c.oracle.checkpoints).toBeLessThanOrEqual(c.reactive.checkpoints);
    for (const p of [c.predictive, c.oracle]) expect(p.maxReplaySec).toBeLessThanOrEqual(input.boundSec + 1e-9);
    // Within a step the arrivals are even, so the rate just observed predicts the next interval
    // exactly but at step changes: the hourly forecast never earns its use, and the gated policy
    // checkpoints as the reactive rule does, never more than with the forecast always used.
    expect(c.predictive.checkpoints).toBeLessThanOrEqual(c.predictiveUngated.checkpoints);
    expect(Math.abs(c.predictive.checkpoints - c.reactive.checkpoints)).toBeLessThanOrEqual(1);
    // A longer horizon with the threshold at the bound only checkpoints earlier.
    expect(c.predictiveLong.checkpoints).toBeGreaterThanOrEqual(c.predictive.checkpoints);
    expect(c.predictiveLong.p99ReplaySec).toBeLessThanOrEqual(c.predictive.p99ReplaySec);
  });

  it("leaves out a forecast that does not predict the next interval better than the rate just observed", () => {
    // Hourly load with one hour in ten at three to four times the usual, unannounced.
    const rng = createRng("bursty");
    const rates = Array.from({ length: 10 * 24 }, () => (rng.next() < 0.1 ? 900 : 200 + 100 * rng.next()));
    const bursty = { ...input, rates };
    // A minute's look-ahead lets the forecast's overshoots after the bursts count: used always,
    // it checkpoints far more often than when it must first beat the observed rate.
    const gated = predictivePolicy(bursty, { horizonSec: 60 });
    const always = predictivePolicy(bursty, { horizonSec: 60, gate: false });
    expect(gated.checkpoints).toBeLessThan(0.8 * always.checkpoints);
    expect(gated.p99ReplaySec).toBeLessThanOrEqual(bursty.boundSec);
  });

  it("does not checkpoint a stream that stays quiet", () => {
    const c = compareCheckpointPolicies({ ...input, rates: input.rates.map(() => 0.01) });
    expect(c.predictive.checkpoints).toBe(0);
    expect(c.predictiveLong.checkpoints).toBe(0);
  });

  it("finds the largest fixed interval that holds the p99", () => {
    const best = bestFixedInterval(input);
    expect(best.outcome.p99ReplaySec).toBeLessThanOrEqual(input.boundSec);
    expect(fixedIntervalPolicy(input, best.intervalSec + input.decisionIntervalSec).p99ReplaySec).toBeGreaterThan(input.boundSec);
    // The peak is about 440 events/s: 30 s of replay is about 68 s of arrivals there.
    expect(best.intervalSec).toBeGreaterThanOrEqual(55);
    expect(best.intervalSec).toBeLessThanOrEqual(90);
  });

  it("forecasts from the past only", () => {
    const cut = input.warmup + 24;
    const changed = { ...input, rates: input.rates.map((r, i) => (i >= cut ? r * 5 : r)) };
    const a = stepForecasts(input, 60);
    const b = stepForecasts(changed, 60);
    for (let s = 0; s <= cut; s++) expect(b[s]).toBe(a[s]);
    // And the surge still cannot push the predictive replay past the bound for long.
    expect(predictivePolicy(changed).p99ReplaySec).toBeLessThanOrEqual(input.boundSec);
  });

  it("runs a week of several series quickly", () => {
    const t0 = performance.now();
    for (let s = 0; s < 4; s++) compareCheckpointPolicies({ ...input, rates: diurnal(14).map((r) => r * (0.5 + s / 4)), warmup: 7 * 24 });
    expect(performance.now() - t0).toBeLessThan(10_000);
  });
});
