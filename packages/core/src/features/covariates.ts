import type { ForecastInput } from "../forecast/types.ts";
import { clientActivityFeatures, type ClientReadRow } from "./activity.ts";
import { calendarFeatures } from "./calendar.ts";
import { coAccessLoad } from "./correlation.ts";
import { hintRatePerStep, type LoadHintWindow } from "./hints.ts";
import { carryForward, rollingPopularity } from "./popularity.ts";

export interface CovariateSpec {
  startMs: number;
  stepMs: number;
  historyLength: number;
  horizon: number;
  tzOffsetMinutes?: number;
  /** Features observed over the history only; carried forward (last value) over the horizon. */
  observed?: Readonly<Record<string, readonly number[]>>;
  /** Features known over history and horizon alike (e.g. hinted rates); length history + horizon. */
  known?: Readonly<Record<string, readonly number[]>>;
}

export interface Covariates {
  /** Feature names, in column order. */
  names: string[];
  /** One row per step (history then horizon), one column per name: `ForecastInput.covariates`. */
  rows: number[][];
}

export const CALENDAR_FEATURES = ["hour_sin", "hour_cos", "dow_sin", "dow_cos"] as const;

/**
 * Step-major covariates for a forecast: calendar columns first, then observed features (sorted by
 * name), then known ones (sorted by name). Missing values count as 0.
 */
export function buildCovariates(spec: CovariateSpec): Covariates {
  const steps = spec.historyLength + spec.horizon;
  const cal = calendarFeatures({ startMs: spec.startMs, stepMs: spec.stepMs, steps, tzOffsetMinutes: spec.tzOffsetMinutes ?? 0 });
  const columns: Array<[string, readonly number[]]> = [
    ["hour_sin", cal.hourSin],
    ["hour_cos", cal.hourCos],
    ["dow_sin", cal.dowSin],
    ["dow_cos", cal.dowCos],
  ];
  for (const name of Object.keys(spec.observed ?? {}).sort()) {
    const values = spec.observed![name]!.slice(0, spec.historyLength);
    const padded = [...new Array<number>(Math.max(0, spec.historyLength - values.length)).fill(0), ...values];
    columns.push([name, carryForward(padded, spec.horizon)]);
  }
  for (const name of Object.keys(spec.known ?? {}).sort()) columns.push([name, spec.known![name]!]);
  const rows: number[][] = [];
  for (let i = 0; i < steps; i++) {
    const row = new Array<number>(columns.length);
    for (let c = 0; c < columns.length; c++) {
      const v = columns[c]![1][i];
      row[c] = v !== undefined && Number.isFinite(v) ? v : 0;
    }
    rows.push(row);
  }
  return { names: columns.map(([n]) => n), rows };
}

/** Everything known about one shardlet's load, aligned on the same steps. */
export interface ShardletFeatureSource {
  shardletId: string;
  lo: number;
  hi: number;
  /** The shardlet's load per step over the history (e.g. writes + reads per bucket). */
  load: readonly number[];
  /** The stream's load per step over the history. */
  streamLoad: readonly number[];
  /** Loads of the stream's other shardlets (or hot keys), for co-access; may include this one. */
  peers?: ReadonlyMap<string, readonly number[]>;
  clients?: Iterable<ClientReadRow>;
  hints?: Iterable<LoadHintWindow>;
}

/**
 * The standard covariates of a shardlet's forecast: calendar, rolling popularity, reader activity,
 * co-access load and hinted rate (events/s per step over history and horizon).
 */
export function shardletCovariates(
  src: ShardletFeatureSource,
  opts: { startMs: number; stepMs: number; horizon: number; popularityWindow?: number; tzOffsetMinutes?: number },
): Covariates {
  const historyLength = src.load.length;
  const steps = historyLength + opts.horizon;
  const activity = clientActivityFeatures(src.clients ?? [], { shardletId: src.shardletId, startMs: opts.startMs, stepMs: opts.stepMs, steps: historyLength });
  const peers = new Map(src.peers ?? []);
  peers.set(src.shardletId, src.load);
  return buildCovariates({
    startMs: opts.startMs,
    stepMs: opts.stepMs,
    historyLength,
    horizon: opts.horizon,
    tzOffsetMinutes: opts.tzOffsetMinutes ?? 0,
    observed: {
      popularity: rollingPopularity(src.load, src.streamLoad, opts.popularityWindow ?? 6),
      distinct_clients: activity.distinctClients,
      distinct_groups: activity.distinctGroups,
      read_share: activity.readShare,
      co_access: coAccessLoad(src.shardletId, peers),
    },
    known: {
      hint_rate: hintRatePerStep(src.hints ?? [], { lo: src.lo, hi: src.hi }, { startMs: opts.startMs, stepMs: opts.stepMs, steps }),
    },
  });
}

/** Attaches covariates to a forecast input (they must span history + horizon). */
export function withCovariates(input: ForecastInput, cov: Covariates): ForecastInput {
  if (cov.rows.length !== input.history.length + input.horizon) {
    throw new RangeError(`covariates span ${cov.rows.length} steps; the input needs ${input.history.length + input.horizon}`);
  }
  return { ...input, covariates: cov.rows };
}

/**
 * How a model reads one covariate column. `known` columns are known over the horizon (hints) and
 * read as given; the others are observed and, at a forecast origin, carried forward from the last
 * observed step (as `buildCovariates` does), so a model never learns from a future it will not see.
 * `unit` says how to put the column on a scale a model can mix with the series: `load` is in the
 * series' own unit (events/s), `count` a number of things, `ratio` a share in [0, 1].
 */
export interface CovariateColumn {
  name: string;
  known: boolean;
  unit: "load" | "ratio" | "count";
}

/** The non-calendar columns `shardletCovariates` builds, in its column order. */
export const SHARDLET_COVARIATE_COLUMNS: readonly CovariateColumn[] = [
  { name: "co_access", known: false, unit: "load" },
  { name: "distinct_clients", known: false, unit: "count" },
  { name: "distinct_groups", known: false, unit: "count" },
  { name: "popularity", known: false, unit: "ratio" },
  { name: "read_share", known: false, unit: "ratio" },
  { name: "hint_rate", known: true, unit: "load" },
];

/**
 * The rows of `cov` restricted to `names`, in that order: the columns a model was trained with,
 * picked by name so a column added to or reordered in the builder never shifts a model's inputs.
 * A name `cov` does not have is an error, not a column of zeros.
 */
export function selectCovariates(cov: Covariates, names: readonly string[]): number[][] {
  const idx = names.map((n) => {
    const i = cov.names.indexOf(n);
    if (i < 0) throw new RangeError(`covariate ${n} is not built (have ${cov.names.join(", ")})`);
    return i;
  });
  return cov.rows.map((row) => idx.map((i) => row[i]!));
}
