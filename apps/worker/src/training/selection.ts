import {
  chooseHoltWintersOptions,
  doubleSeasonalHoltWinters,
  ensembleForecaster,
  evaluateHoldout,
  holtWinters,
  scoreHoldout,
  selectingForecaster,
  splitHoldout,
  standardCandidates,
  weeklyNaive,
  type DoubleSeasonalOptions,
  type ForecastModelKind,
  type HoldoutEvaluation,
  type HoltWintersOptions,
  type SelectionOptions,
} from "@shardcast/core";
import type { Corpus } from "./corpus.ts";

/**
 * What a selection version stores: the fitting options of its smoothing candidates and, when the
 * same run trained an LSTM, that version (the analyzer adds it to the candidates where it loads).
 */
export interface SelectionArtifact {
  format: "shardcast-selection/1";
  holtWinters: HoltWintersOptions;
  doubleSeasonal: DoubleSeasonalOptions;
  selection: SelectionOptions;
  lstmVersionId: string | null;
}

export interface SelectionTraining {
  artifact: SelectionArtifact;
  evaluation: HoldoutEvaluation;
  /** The model each series was forecast with on the held-out window. */
  chosen: Array<{ name: string; kind: ForecastModelKind }>;
}

/** Double-seasonal fitting for a corpus: errors over a season ahead, like Holt-Winters' long-horizon fit. */
export function doubleSeasonalOptionsFor(corpus: Pick<Corpus, "period">): DoubleSeasonalOptions {
  return { fitLead: corpus.period };
}

/**
 * Per-series selection for a corpus: a week of daily origins before the held-out window where
 * the series are long enough, each forecasting up to the held-out length.
 */
export function selectionOptionsFor(corpus: Pick<Corpus, "period" | "holdout">): SelectionOptions {
  const validationSteps = Math.max(corpus.holdout, 7 * corpus.period);
  return { validationSteps, stride: corpus.period, maxOrigins: 7 };
}

/**
 * Held-out MASE of the weekly-aware candidates beside Holt-Winters: weekly naive, double-seasonal
 * Holt-Winters and their mean with Holt-Winters, for the version's params.
 */
export function candidateScores(corpus: Corpus, hw: HoltWintersOptions): Record<string, { mase: number; medianMase: number }> {
  const opts = { holdout: corpus.holdout, period: corpus.period };
  const ds = doubleSeasonalHoltWinters(doubleSeasonalOptionsFor(corpus));
  const out: Record<string, { mase: number; medianMase: number }> = {};
  for (const f of [weeklyNaive, ds, ensembleForecaster([weeklyNaive, holtWinters(hw), ds])]) {
    const e = evaluateHoldout(f, corpus.series, opts);
    out[f.kind] = { mase: e.mase, medianMase: e.medianMase };
  }
  return out;
}

/**
 * Trains a selection version: Holt-Winters' fitting options are chosen on the window before the
 * held-out one (as for a Holt-Winters version), then every series picks its model on the end of
 * the history before the held-out window and is scored on that window. The LSTM is not among the
 * candidates scored here (its version is scored on its own); it joins them when the version serves.
 */
export async function trainSelection(
  corpus: Corpus,
  opts: { lstmVersionId: string | null },
  onProgress: (fraction: number, note: string) => Promise<void> | void,
): Promise<SelectionTraining> {
  const holdout = { holdout: corpus.holdout, period: corpus.period };
  await onProgress(0.1, "choosing Holt-Winters options on the window before the held-out one");
  const { options } = chooseHoltWintersOptions(corpus.series, holdout);
  const doubleSeasonal = doubleSeasonalOptionsFor(corpus);
  const selection = selectionOptionsFor(corpus);
  await onProgress(0.5, "choosing a model per series and scoring on the held-out window");
  const sel = selectingForecaster(standardCandidates({ holtWinters: options, doubleSeasonal }), selection);
  const choices = corpus.series.map((s) => sel.forecastWithChoice(splitHoldout(s, corpus.holdout, corpus.period).input));
  const evaluation = scoreHoldout(
    corpus.series,
    choices.map((c) => c.values),
    holdout,
  );
  return {
    artifact: { format: "shardcast-selection/1", holtWinters: options, doubleSeasonal, selection, lstmVersionId: opts.lstmVersionId },
    evaluation,
    chosen: choices.map((c, i) => ({ name: corpus.series[i]!.name, kind: c.kind })),
  };
}
