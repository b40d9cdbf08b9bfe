import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import {
  chooseHoltWintersOptions,
  evaluateHoldout,
  evaluateHoldoutBatch,
  holtWinters,
  parseTraceCsv,
  seasonalNaive,
  type EvaluationSeries,
  type HoldoutEvaluation,
} from "@shardcast/core";
import { LstmForecaster } from "@shardcast/models";
import { median, type Suite } from "../harness.ts";

const TRACES = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../../data/traces/dos_load_prediction");
const PERIOD = 24;
const STEP_MS = 3_600_000;
/** The primary window (the training job holds out the same on these traces) and a longer one. */
const HOLDOUTS = [48, 72] as const;

async function loadSeries(): Promise<EvaluationSeries[]> {
  const files = (await readdir(TRACES)).filter((f) => f.endsWith(".csv")).sort();
  const out: EvaluationSeries[] = [];
  for (const f of files) {
    const t = parseTraceCsv(f.replace(/\.csv$/, ""), await readFile(path.join(TRACES, f), "utf8"));
    out.push({ name: t.name, values: t.values, startMs: t.times[0]!, stepMs: STEP_MS });
  }
  return out;
}

const key = (name: string) => name.replace(/[^a-z0-9]+/gi, "_").toLowerCase();

function table(models: Record<string, HoldoutEvaluation>): string[] {
  const names = Object.keys(models);
  const series = models[names[0]!]!.series.map((s) => s.name);
  const w = Math.max(8, ...series.map((s) => s.length));
  const line = (label: string, cells: string[]) => `${label.padEnd(w)}  ${cells.map((c) => c.padStart(14)).join("")}`;
  const rows = [line("series", names)];
  series.forEach((s, i) => rows.push(line(s, names.map((n) => models[n]!.series[i]!.mase.toFixed(3)))));
  rows.push(line("median", names.map((n) => models[n]!.medianMase.toFixed(3))));
  rows.push(line("mean", names.map((n) => models[n]!.mase.toFixed(3))));
  return rows;
}

/**
 * MASE of seasonal naive, Holt-Winters and the LSTM on the last hours of the five shipped hourly
 * load traces (period 24), medians over the series. Every model sees only what precedes the
 * held-out window: Holt-Winters picks its fitting options on the window just before it, and the
 * LSTM trains on all five series' histories, choosing its epoch count on forecasts made from the
 * day before the held-out window and then training afresh on everything before it for that long. MASE is scaled by each series' in-sample seasonal naive error,
 * so seasonal naive's own MASE on the held-out window is not 1.
 */
export const forecastSuite: Suite = {
  name: "forecast",
  description: "MASE of seasonal naive, Holt-Winters and the LSTM on the held-out end of the shipped hourly load traces",
  async run({ quick, log }) {
    const series = await loadSeries();
    const epochs = quick ? 8 : 30;
    const holdouts = quick ? HOLDOUTS.slice(0, 1) : HOLDOUTS;
    log(`${series.length} series (${series.map((s) => `${s.name}: ${s.values.length} h`).join(", ")}); LSTM ${epochs} epochs with early stopping`);
    const out: Record<string, number> = {};
    for (const holdout of holdouts) {
      const opts = { holdout, period: PERIOD };
      const suffix = holdout === HOLDOUTS[0] ? "" : `_h${holdout}`;
      log(`held out: last ${holdout} h of every series`);
      const sn = evaluateHoldout(seasonalNaive, series, opts);
      const chosen = chooseHoltWintersOptions(series, opts);
      log(`Holt-Winters options chosen on the earlier window: ${JSON.stringify(chosen.options)} (validation MASE ${chosen.tried.map((t) => t.mase?.toFixed(3) ?? "—").join(" / ")})`);
      const hw = evaluateHoldout(holtWinters(chosen.options), series, opts);

      const model = await LstmForecaster.create({ period: PERIOD, horizon: holdout });
      const t0 = performance.now();
      const fitting = series.map((s) => ({ ...s, values: s.values.slice(0, s.values.length - holdout) }));
      const trained = await model.train(fitting, {
        epochs,
        // A day of forecast origins, all before the held-out window, chooses the epoch count;
        // then a fresh network trains on everything before the held-out window for that long.
        validationSteps: holdout + PERIOD,
        refit: true,
        patience: 10,
        onProgress: (p) => log(p.valLoss !== undefined ? `LSTM epoch ${p.epoch}: loss ${p.loss.toFixed(4)}, validation ${p.valLoss.toFixed(4)}` : `LSTM final fit, epoch ${p.epoch}: loss ${p.loss.toFixed(4)}`),
      });
      const trainMs = performance.now() - t0;
      const lstm = await evaluateHoldoutBatch(model, series, opts);
      model.dispose();
      log(`LSTM (${model.backend}): best epoch ${trained.bestEpoch} on the validation day, refit on ${trained.windows} windows, ${(trainMs / 1000).toFixed(1)} s`);

      const models = { seasonal_naive: sn, holt_winters: hw, lstm };
      for (const row of table(models)) log(row);
      for (const [name, e] of Object.entries(models)) {
        out[`mase_${name}${suffix}`] = e.medianMase;
        out[`mase_mean_${name}${suffix}`] = e.mase;
        for (const s of e.series) out[`mase_${name}_${key(s.name)}${suffix}`] = s.mase;
      }
      out[`mase_best${suffix}`] = Math.min(sn.medianMase, hw.medianMase, lstm.medianMase);
      out[`lstm_train_s${suffix}`] = trainMs / 1000;
      out[`lstm_best_epoch${suffix}`] = trained.bestEpoch;
      out[`holdout_h${suffix}`] = holdout;
    }
    out.series = series.length;
    out.median_points = median(series.map((s) => s.values.length));
    return out;
  },
};
