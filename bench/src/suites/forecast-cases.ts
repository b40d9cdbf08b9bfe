import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseTraceCsv, resampleTrace, type EvaluationSeries } from "@shardcast/core";

const DATA = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../../data/traces");
const TRACES = path.join(DATA, "dos_load_prediction");
const TWEETS = path.join(DATA, "nab_realTweets");
export const PERIOD = 24;
const STEP_MS = 3_600_000;

export async function loadSeries(): Promise<EvaluationSeries[]> {
  const files = (await readdir(TRACES)).filter((f) => f.endsWith(".csv")).sort();
  const out: EvaluationSeries[] = [];
  for (const f of files) {
    const t = parseTraceCsv(f.replace(/\.csv$/, ""), await readFile(path.join(TRACES, f), "utf8"));
    out.push({ name: t.name, values: t.values, startMs: t.times[0]!, stepMs: STEP_MS });
  }
  return out;
}

/**
 * The NAB tweet volumes (tweets per 5 minutes mentioning a company, about eight weeks) summed into
 * hourly buckets, so they share the load traces' period: more series with a weekly rhythm, and far
 * burstier ones (news days).
 */
export async function loadTweetSeries(): Promise<EvaluationSeries[]> {
  const files = (await readdir(TWEETS)).filter((f) => f.endsWith(".csv")).sort();
  const out: EvaluationSeries[] = [];
  for (const f of files) {
    const t = parseTraceCsv(f.replace(/^Twitter_volume_/, "tweets_").replace(/\.csv$/, ""), await readFile(path.join(TWEETS, f), "utf8"));
    const r = resampleTrace(t, STEP_MS, "sum");
    // The first and last buckets are partial.
    out.push({ name: t.name, values: r.values.slice(1, -1), startMs: r.startMs + STEP_MS, stepMs: STEP_MS });
  }
  return out;
}

/** Steps forecast from every cut-off: two days, the primary held-out window. */
export const HORIZON = 48;

interface Cutoff {
  /** Index of the first forecast step: the model sees values[0..at). */
  at: number;
  why: string;
}

function dayMeans(values: readonly number[]): number[] {
  const out: number[] = [];
  for (let d = 0; (d + 1) * PERIOD <= values.length; d++) {
    let sum = 0;
    for (let i = d * PERIOD; i < (d + 1) * PERIOD; i++) sum += values[i]!;
    out.push(sum / PERIOD);
  }
  return out;
}

/**
 * The cut-offs a series is scored at: the end of the series less the horizon, one and two days
 * earlier (three windows over its last week), and the day right after its largest day-over-day
 * level change (|log ratio| of daily means) in the last ten days, with the changed day observed,
 * so that a model must carry a new level it has seen for one day only. On the load traces that
 * is google 1970-01-20 (+7%), taxi 2020-02-16 (-5%, a Sunday) and wiki_de/wiki_en 2019-07-21
 * (+4%/+6%, a Sunday): those traces hold no holiday, so their largest change is a weekday
 * effect; on the tweet volumes it is a news burst (AAPL on 2015-04-15 at six times the day before,
 * UPS 2015-04-18). Cut-offs need two weeks of history where the series has them.
 */
function cutoffsOf(s: EvaluationSeries): Cutoff[] {
  const n = s.values.length;
  const out: Cutoff[] = [];
  for (const back of [0, PERIOD, 2 * PERIOD]) {
    const at = n - HORIZON - back;
    if (at >= 2 * PERIOD + 1) out.push({ at, why: back === 0 ? "end" : `end - ${back / PERIOD} d` });
  }
  const days = dayMeans(s.values);
  const firstDay = Math.max(1, days.length - 10);
  let best: { day: number; change: number } | null = null;
  for (let d = firstDay; d < days.length; d++) {
    const at = (d + 1) * PERIOD;
    if (at + HORIZON > n || at < 14 * PERIOD || !(days[d - 1]! > 0 && days[d]! > 0)) continue;
    const change = Math.log(days[d]! / days[d - 1]!);
    if (!best || Math.abs(change) > Math.abs(best.change)) best = { day: d, change };
  }
  if (best) {
    const at = (best.day + 1) * PERIOD;
    const date = s.startMs !== undefined ? new Date(s.startMs + best.day * PERIOD * STEP_MS).toISOString().slice(0, 10) : `day ${best.day}`;
    const why = `after the level change of ${date} (${best.change >= 0 ? "+" : ""}${((Math.exp(best.change) - 1) * 100).toFixed(0)}%)`;
    const same = out.find((c) => c.at === at);
    if (same) same.why += `, ${why}`;
    else out.push({ at, why });
  }
  return out.sort((a, b) => a.at - b.at);
}

/** One case per series and cut-off: the series cut `HORIZON` steps after the cut-off, so `holdout: HORIZON` scores it. */
export function cutoffCases(series: readonly EvaluationSeries[]): Array<EvaluationSeries & { why: string }> {
  return series.flatMap((s) =>
    cutoffsOf(s).map((c) => ({
      ...s,
      name: `${s.name}@${c.at}`,
      values: s.values.slice(0, c.at + HORIZON),
      why: c.why,
    })),
  );
}

export type Case = EvaluationSeries & { why: string };

/**
 * The corpus's read series: the hourly Wikipedia page views (English and German). A page view is a
 * read of the site, so these show what a stream's readers do; the other traces count what is
 * written (messages, cluster tasks, taxi requests, tweets).
 */
export const READ_SERIES: ReadonlySet<string> = new Set(["wiki_en_1h", "wiki_de_1h"]);

/**
 * Rolling cut-offs: one at every midnight from `minHistoryDays` of history until the last two days,
 * so every day the series holds past its first weeks is forecast once or twice and no day is picked
 * for being easy or hard.
 */
export function rollingCases(series: readonly EvaluationSeries[], minHistoryDays = 14): Case[] {
  return series.flatMap((s) => {
    const out: Case[] = [];
    for (let at = minHistoryDays * PERIOD; at + HORIZON <= s.values.length; at += PERIOD) {
      out.push({ ...s, name: `${s.name}@${at}`, values: s.values.slice(0, at + HORIZON), why: `day ${at / PERIOD}` });
    }
    return out;
  });
}

/** How far an injected holiday takes a day's load: to 30% of what it was. */
const HOLIDAY_LEVEL = 0.3;

/**
 * Cut-offs right after a holiday, on every series with two weeks before it: the day before each
 * of the last three daily cut-offs is scaled to `HOLIDAY_LEVEL`, and the two days after it are
 * forecast. None of the shipped traces holds a holiday; injected into them, a day like one shows
 * what the selection does when the validation window ends with it.
 */
export function holidayCases(series: readonly EvaluationSeries[]): Case[] {
  return series.flatMap((s) => {
    const out: Case[] = [];
    for (const back of [0, PERIOD, 2 * PERIOD]) {
      const at = s.values.length - HORIZON - back;
      if (at - PERIOD < 14 * PERIOD) continue;
      const values = s.values.slice(0, at + HORIZON);
      for (let i = at - PERIOD; i < at; i++) values[i] = values[i]! * HOLIDAY_LEVEL;
      out.push({ ...s, name: `${s.name}@${at}+holiday`, values, why: `holiday the day before ${back === 0 ? "the end" : `end - ${back / PERIOD} d`}` });
    }
    return out;
  });
}
