import { doubleSeasonalHoltWinters, holtWinters, seasonalNaive, selectingForecaster, standardCandidates, weeklyNaive, type Forecaster } from "@shardcast/core";
import { doubleSeasonalOptions, holtWintersOptions } from "../analyzer/model.ts";
import type { Corpus } from "./corpus.ts";
import { doubleSeasonalOptionsFor, selectionOptionsFor } from "./selection.ts";

/**
 * A stored non-LSTM version as a forecaster, to re-score it. A selection version is re-scored
 * without its LSTM (the LSTM version is scored on its own), so its bar is that of its smoothing models.
 */
export function storedForecaster(stored: { kind: string; params: unknown; artifact: unknown }, corpus: Corpus): Forecaster {
  const field = (key: string) => (typeof stored.artifact === "object" && stored.artifact !== null ? (stored.artifact as Record<string, unknown>)[key] : undefined);
  switch (stored.kind) {
    case "holt_winters":
      return holtWinters(holtWintersOptions(stored.params, stored.artifact));
    case "weekly_naive":
      return weeklyNaive;
    case "double_seasonal":
      return doubleSeasonalHoltWinters(doubleSeasonalOptions(stored.params, stored.artifact));
    case "selection":
    case "ensemble":
      return selectingForecaster(
        standardCandidates({ holtWinters: holtWintersOptions(field("holtWinters")), doubleSeasonal: { ...doubleSeasonalOptionsFor(corpus), ...doubleSeasonalOptions(field("doubleSeasonal")) } }),
        selectionOptionsFor(corpus),
      );
    default:
      return seasonalNaive;
  }
}
