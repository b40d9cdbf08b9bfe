import { seasonalNaiveForecast, splitHoldout, type HoldoutEvaluation } from "@shardcast/core";
import type { Corpus } from "./corpus.ts";

/**
 * Forecast against actual on the held-out window, stored with a version for the console's chart:
 * a stretch of history before the window, the actual values, the model's forecast and seasonal
 * naive's, for the first few series of the corpus (the busiest, for telemetry).
 */
export interface EvaluationPreview {
  holdout: number;
  period: number;
  stepMs: number;
  series: Array<{
    name: string;
    /** Epoch ms of the first history point shown (null when the series has no calendar). */
    startMs: number | null;
    history: number[];
    actual: number[];
    predicted: number[];
    baseline: number[];
    mase: number;
    baselineMase: number;
  }>;
  /** Per-series figures for every scored series (up to 100). */
  scores: Array<{ name: string; mase: number; baselineMase: number; mae: number }>;
}

const round = (v: number) => (Math.abs(v) >= 1000 ? Math.round(v * 10) / 10 : Math.round(v * 1e4) / 1e4);

export function evaluationPreview(corpus: Corpus, evaluation: HoldoutEvaluation, maxSeries = 6): EvaluationPreview {
  const shown = Math.min(corpus.series.length, maxSeries);
  const context = Math.min(3 * corpus.period, 2 * corpus.holdout + corpus.period);
  const series: EvaluationPreview["series"] = [];
  for (let i = 0; i < shown; i++) {
    const s = corpus.series[i]!;
    const e = evaluation.series[i]!;
    const { input } = splitHoldout(s, corpus.holdout, corpus.period);
    const history = input.history.slice(-context);
    const firstShown = input.history.length - history.length;
    series.push({
      name: s.name,
      startMs: s.startMs !== undefined ? s.startMs + firstShown * corpus.stepMs : null,
      history: history.map(round),
      actual: e.actual.map(round),
      predicted: e.predicted.map(round),
      baseline: seasonalNaiveForecast(input.history, corpus.holdout, corpus.period).map(round),
      mase: e.mase,
      baselineMase: e.baselineMase,
    });
  }
  return {
    holdout: corpus.holdout,
    period: corpus.period,
    stepMs: corpus.stepMs,
    series,
    scores: evaluation.series.slice(0, 100).map((e) => ({ name: e.name, mase: e.mase, baselineMase: e.baselineMase, mae: e.mae })),
  };
}
