import {
  chooseHoltWintersOptions,
  doubleSeasonalHoltWinters,
  evaluateHoldout,
  evaluateHoldoutBatch,
  holtWinters,
  scoreHoldout,
  seasonalNaive,
  selectingForecaster,
  splitHoldout,
  standardCandidates,
  weeklyNaive,
  type Forecaster,
  type HoldoutEvaluation,
  type HoltWintersOptions,
  type SelectionOptions,
  createRng,
  lastDayAbnormal,
} from "@shardcast/core";
import { LstmForecaster } from "@shardcast/models";
import { median, type Suite } from "../harness.ts";
import { cutoffCases, holidayCases, HORIZON, loadSeries, loadTweetSeries, PERIOD, READ_SERIES, rollingCases, type Case } from "./forecast-cases.ts";

/** The primary window (the training job holds out the same on these traces) and a longer one. */
const HOLDOUTS = [48, 72] as const;

/**
 * Per-series selection: every candidate forecasts up to two days from each of the seven days
 * before the cut-off (one origin a day, so every weekday is scored once), and the lowest mean MASE
 * forecasts. Fixed a priori, not tuned on the cut-offs (forecast-cases.ts).
 */
const SELECTION: SelectionOptions = { validationSteps: 7 * PERIOD, stride: PERIOD, maxOrigins: 7 };

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
 * Double-seasonal fitting: errors over a day ahead, which suits the two-day horizon (as for
 * Holt-Winters' `fitLead`), over up to eight weeks (the tweet volumes hold eight; more weeks
 * steady the weekly indices).
 */
const DOUBLE_SEASONAL = { fitLead: PERIOD, maxWeeks: 8 };

/** The models the product selects among per series (see `standardCandidates`), with the bench's fitting options. */
function productCandidates(holtWintersOptions: HoltWintersOptions): Forecaster[] {
  return standardCandidates({ holtWinters: holtWintersOptions, doubleSeasonal: DOUBLE_SEASONAL });
}

/** Every model, and the per-series selection among them, at every cut-off of every series. */
function cutoffEvaluation(cases: readonly Case[], log: (line: string) => void): { models: Record<string, HoldoutEvaluation>; chosen: string[] } {
  const opts = { holdout: HORIZON, period: PERIOD };
  // Options chosen on the window before each case's cut-off (chooseHoltWintersOptions never reads the window scored).
  const hwOptions = chooseHoltWintersOptions(cases, opts).options;
  const candidates = productCandidates(hwOptions);
  const models: Record<string, HoldoutEvaluation> = {};
  for (const c of candidates) {
    const t0 = performance.now();
    models[c.kind] = evaluateHoldout(c, cases, opts);
    log(`${c.kind}: ${cases.length} forecasts in ${(performance.now() - t0).toFixed(0)} ms`);
  }
  const selection = selectingForecaster(candidates, SELECTION);
  const t0 = performance.now();
  const choices = cases.map((s) => selection.forecastWithChoice(splitHoldout(s, HORIZON, PERIOD).input));
  log(`selection: ${cases.length} forecasts, ${candidates.length} candidates x ${SELECTION.maxOrigins} origins each, in ${(performance.now() - t0).toFixed(0)} ms`);
  models.selected = scoreHoldout(
    cases,
    choices.map((c) => c.values),
    opts,
  );
  return { models, chosen: choices.map((c) => c.kind) };
}

/**
 * A 95% percentile-bootstrap interval of a median-MASE ratio, cases drawn with replacement. The
 * cases overlap by a day (two-day forecasts from daily cut-offs), so the interval is narrower than
 * one from independent samples would be: read it as a lower bound on the uncertainty.
 */
function bootstrapSkill(model: HoldoutEvaluation, baseline: HoldoutEvaluation, draws = 2000): { lo: number; hi: number } {
  const rng = createRng("forecast-bootstrap");
  const n = model.series.length;
  const ratios: number[] = [];
  for (let d = 0; d < draws; d++) {
    const a: number[] = [];
    const b: number[] = [];
    for (let i = 0; i < n; i++) {
      const k = rng.int(n);
      a.push(model.series[k]!.mase);
      b.push(baseline.series[k]!.mase);
    }
    ratios.push(median(a) / median(b));
  }
  ratios.sort((x, y) => x - y);
  return { lo: ratios[Math.floor(0.025 * draws)]!, hi: ratios[Math.floor(0.975 * draws)]! };
}

/**
 * The selection right after an injected holiday, with the abnormal-day guard (the product's) and
 * without, against weekly naive on the same cases: the median MASE and the worst case's ratio to
 * weekly naive's.
 */
function holidayEvaluation(cases: readonly Case[], log: (line: string) => void): Record<string, number> {
  const opts = { holdout: HORIZON, period: PERIOD };
  const hw = chooseHoltWintersOptions(cases, opts).options;
  const score = (selection: SelectionOptions) => {
    const sel = selectingForecaster(productCandidates(hw), selection);
    const choices = cases.map((c) => sel.forecastWithChoice(splitHoldout(c, HORIZON, PERIOD).input));
    return { e: scoreHoldout(cases, choices.map((c) => c.values), opts), kinds: choices.map((c) => c.kind) };
  };
  const guarded = score(SELECTION);
  const unguarded = score({ ...SELECTION, abnormalDayGuard: false });
  const wn = evaluateHoldout(weeklyNaive, cases, opts);
  const worst = (e: HoldoutEvaluation) => Math.max(...e.series.map((s, i) => s.mase / wn.series[i]!.mase));
  for (const [i, c] of cases.entries()) {
    log(`  ${c.name}: selected ${guarded.kinds[i]} ${guarded.e.series[i]!.mase.toFixed(3)}, unguarded ${unguarded.kinds[i]} ${unguarded.e.series[i]!.mase.toFixed(3)}, weekly naive ${wn.series[i]!.mase.toFixed(3)}`);
  }
  return {
    holiday_cases: cases.length,
    holiday_mase_selected: guarded.e.medianMase,
    holiday_mase_selected_unguarded: unguarded.e.medianMase,
    holiday_mase_weekly_naive: wn.medianMase,
    holiday_worst_ratio_vs_weekly_naive: worst(guarded.e),
    holiday_worst_ratio_vs_weekly_naive_unguarded: worst(unguarded.e),
  };
}

/** Medians of the cut-off evaluation over a subset of the cases. */
function medians(models: Record<string, HoldoutEvaluation>, keep: (i: number) => boolean): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [name, e] of Object.entries(models)) out[name] = median(e.series.filter((_, i) => keep(i)).map((s) => s.mase));
  return out;
}

/**
 * MASE of every forecasting model on the shipped traces, scaled by each series' in-sample seasonal
 * naive error (so seasonal naive's own MASE out of sample is not 1).
 *
 * Cut-off evaluation (the headline keys): the five hourly load traces and the ten NAB tweet volumes
 * (summed to hourly) are each cut at three or four dates over their last week (see `cutoffsOf` in forecast-cases.ts: the
 * last two days, one and two days earlier, and right after the largest recent level change), and
 * every model forecasts the two days after each cut-off from what precedes it. Figures are medians
 * over series and cut-offs. `mase_selected` is the per-series selection the product uses
 * (`selectingForecaster` over seasonal naive, weekly naive, Holt-Winters, double-seasonal
 * Holt-Winters and the mean of the last three, scored on the week before each cut-off only); `mase_best` is that same figure, the
 * MASE of what the product would forecast with, not a hindsight minimum over models.
 * `skill_vs_weekly_naive` is its median divided by weekly naive's over the same cases; `_load` and
 * `_tweets` keys split the medians by corpus.
 *
 * Reads (`read_` keys): the same models and selection on the corpus's read series (Wikipedia page
 * views, see `READ_SERIES`), cut once a day from day 14 to the end (12 cases). `read_mase_best` is
 * the selection's median MASE, `read_skill_vs_weekly_naive` its ratio to weekly naive's, with a
 * bootstrap interval (`read_skill_ci95_lo`/`_hi`). Page views repeat their week more faithfully
 * than the write traces, and the weekly median and the ensemble damp the one-off days that weekly
 * naive copies, so prediction pays more on them than on writes.
 *
 * After a holiday (`holiday_` keys): the day before each of the last three daily cut-offs of every
 * series with two weeks before it is scaled to 30% (see `holidayCases`), and the selection with its
 * abnormal-day guard (the product's) and without is scored against weekly naive; the worst case's
 * ratio says whether one abnormal day can leave a series at several times weekly naive's error.
 * `abnormal_day_share` is the share of the real cut-offs where the guard acts.
 *
 * Held-out evaluation (the older keys, kept): the last 48 hours (and in full mode 72) of the five
 * load traces, where the LSTM is also scored. Every model sees only what precedes the held-out
 * window: Holt-Winters picks its fitting options on the window just before it, and the LSTM trains
 * on all five series' histories, choosing its epoch count on forecasts made from the day before
 * the held-out window and then training afresh on everything before it for that long. The LSTM is
 * not among the selection's candidates here (retraining it per cut-off would cost minutes each).
 *
 * Where prediction does not beat weekly naive (full run, 59 cases): over all cases the selection's
 * median MASE is 0.724 against weekly naive's 0.775 (skill 0.935, short of the 0.85 target). On
 * the tweet volumes prediction pays (0.722 against 0.915, skill 0.79); on the five load traces it
 * does not: weekly naive's 0.722 is matched by the selection (0.724) and beaten only by the
 * ensemble alone (0.655), because three weeks of load hold two examples of each weekday, which is
 * what weekly naive repeats and what a selection scored on one week cannot tell apart from noise.
 * Selection also loses to its best single candidates (double-seasonal 0.706, ensemble 0.699):
 * a week of validation picks the wrong model often enough to cost more than it gains. alibaba
 * holds a single week, so every weekly-aware model falls back to a daily one there.
 */
export const forecastSuite: Suite = {
  name: "forecast",
  description: "MASE of seasonal and weekly naive, Holt-Winters, double-seasonal Holt-Winters, per-series selection and the LSTM on the shipped traces",
  async run({ quick, log }) {
    const series = await loadSeries();
    const tweets = await loadTweetSeries();
    const epochs = quick ? 8 : 30;
    const holdouts = quick ? HOLDOUTS.slice(0, 1) : HOLDOUTS;
    log(`${series.length} load series (${series.map((s) => `${s.name}: ${s.values.length} h`).join(", ")}), ${tweets.length} tweet series (${tweets[0]?.values.length ?? 0} h each, summed from 5 min)`);
    const out: Record<string, number> = {};

    const cases: Case[] = cutoffCases([...series, ...tweets]);
    const loadCases = new Set(series.map((s) => s.name));
    const isLoad = (i: number) => loadCases.has(cases[i]!.name.replace(/@\d+$/, ""));
    log(`cut-off evaluation: ${cases.length} cases, two days forecast from each`);
    for (const c of cases) if (c.why !== "end" && !c.why.startsWith("end -")) log(`  ${c.name}: ${c.why}`);
    const { models, chosen } = cutoffEvaluation(cases, log);
    for (const [i, row] of table(models).entries()) log(i > 0 && i <= chosen.length ? `${row}  ${chosen[i - 1]}` : row);
    const all = medians(models, () => true);
    const load = medians(models, isLoad);
    const tw = medians(models, (i) => !isLoad(i));
    for (const [name, m] of Object.entries(all)) {
      out[`cutoff_mase_${name}`] = m;
      out[`cutoff_mase_${name}_load`] = load[name]!;
      out[`cutoff_mase_${name}_tweets`] = tw[name]!;
    }
    out.mase_weekly_naive = all.weekly_naive!;
    out.mase_double_seasonal = all.double_seasonal!;
    out.mase_ensemble = all.ensemble!;
    out.mase_selected = all.selected!;
    out.mase_best = all.selected!;
    out.skill_vs_weekly_naive = all.selected! / all.weekly_naive!;
    out.skill_vs_weekly_naive_load = load.selected! / load.weekly_naive!;
    out.skill_vs_weekly_naive_tweets = tw.selected! / tw.weekly_naive!;
    for (const kind of ["seasonal_naive", "weekly_naive", "weekly_median", "holt_winters", "double_seasonal", "ensemble"]) out[`selected_share_${kind}`] = chosen.filter((k) => k === kind).length / chosen.length;
    out.cutoff_cases = cases.length;
    log(`median MASE over ${cases.length} cases: ${Object.entries(all).map(([k, v]) => `${k} ${v.toFixed(3)}`).join(", ")}; skill vs weekly naive ${out.skill_vs_weekly_naive.toFixed(3)}`);

    // Reads: the same models and the same selection the analyzer runs on read series.
    const readCases = rollingCases(series.filter((s) => READ_SERIES.has(s.name)));
    log(`read series (page views): ${readCases.length} cases, one cut-off a day from day 14, two days forecast from each`);
    const reads = cutoffEvaluation(readCases, log);
    for (const [i, row] of table(reads.models).entries()) log(i > 0 && i <= reads.chosen.length ? `${row}  ${reads.chosen[i - 1]}` : row);
    const readMedians = medians(reads.models, () => true);
    for (const [name, m] of Object.entries(readMedians)) out[`read_mase_${name}`] = m;
    out.read_mase_best = readMedians.selected!;
    out.read_skill_vs_weekly_naive = readMedians.selected! / readMedians.weekly_naive!;
    out.read_cases = readCases.length;
    const ci = bootstrapSkill(reads.models.selected!, reads.models.weekly_naive!);
    out.read_skill_ci95_lo = ci.lo;
    out.read_skill_ci95_hi = ci.hi;
    log(`reads: median MASE ${Object.entries(readMedians).map(([k, v]) => `${k} ${v.toFixed(3)}`).join(", ")}; skill vs weekly naive ${out.read_skill_vs_weekly_naive.toFixed(3)}`);

    Object.assign(out, holidayEvaluation(holidayCases([...series, ...tweets]), log));
    out.abnormal_day_share = cases.filter((c) => lastDayAbnormal(splitHoldout(c, HORIZON, PERIOD).input.history, PERIOD) !== null).length / cases.length;

    for (const holdout of holdouts) {
      const opts = { holdout, period: PERIOD };
      const suffix = holdout === HOLDOUTS[0] ? "" : `_h${holdout}`;
      log(`held out: last ${holdout} h of every load series`);
      const sn = evaluateHoldout(seasonalNaive, series, opts);
      const chosenHw = chooseHoltWintersOptions(series, opts);
      log(`Holt-Winters options chosen on the earlier window: ${JSON.stringify(chosenHw.options)} (validation MASE ${chosenHw.tried.map((t) => t.mase?.toFixed(3) ?? "—").join(" / ")})`);
      const hw = evaluateHoldout(holtWinters(chosenHw.options), series, opts);
      const wn = evaluateHoldout(weeklyNaive, series, opts);
      const ds = evaluateHoldout(doubleSeasonalHoltWinters(DOUBLE_SEASONAL), series, opts);
      const sel = evaluateHoldout(selectingForecaster(productCandidates(chosenHw.options), SELECTION), series, opts);

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

      const models = { seasonal_naive: sn, weekly_naive: wn, holt_winters: hw, double_seasonal: ds, selected: sel, lstm };
      for (const row of table(models)) log(row);
      for (const [name, e] of Object.entries({ seasonal_naive: sn, holt_winters: hw, lstm })) {
        out[`mase_${name}${suffix}`] = e.medianMase;
        out[`mase_mean_${name}${suffix}`] = e.mase;
        for (const s of e.series) out[`mase_${name}_${key(s.name)}${suffix}`] = s.mase;
      }
      for (const [name, e] of Object.entries({ weekly_naive: wn, double_seasonal: ds, selected: sel })) out[`holdout_mase_${name}${suffix}`] = e.medianMase;
      out[`lstm_train_s${suffix}`] = trainMs / 1000;
      out[`lstm_best_epoch${suffix}`] = trained.bestEpoch;
      out[`holdout_h${suffix}`] = holdout;
    }
    out.series = series.length + tweets.length;
    out.median_points = median([...series, ...tweets].map((s) => s.values.length));
    return out;
  },
};
