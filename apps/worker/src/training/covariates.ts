import {
  HASH_SPACE,
  SHARDLET_COVARIATE_COLUMNS,
  selectCovariates,
  shardletCovariates,
  ShardcastError,
  type ClientReadRow,
  type CovariateColumn,
  type EvaluationSeries,
  type LoadHintWindow,
} from "@shardcast/core";
import { clientReadsPerStep, loadHintsBetween, type ControlDb, type HintWindow, type StepClientReadRow } from "@shardcast/db";

/**
 * Covariates of forecast series from telemetry, one builder for the training corpus and the
 * analyzer so a model is served the columns it was trained with, computed the same way.
 */

/** One series a covariate is built for, with its load over the whole window. */
export interface CovariateSeries {
  /** Shardlet id, or stream id for a stream's total. */
  key: string;
  streamId: string;
  /** Key-hash range the series covers (a stream's total: the whole space). */
  lo: number;
  hi: number;
  load: readonly number[];
}

/**
 * Series that share a denominator and co-access peers: the shardlets of one stream, or the
 * streams of the cluster. `clientKey` maps a client row to the member it counts for.
 */
export interface CovariateGroup {
  members: readonly CovariateSeries[];
  clientKey: (row: StepClientReadRow) => string | null;
}

/** Telemetry a covariate build reads: client reads per step and hints over history and horizon. */
export interface CovariateTelemetry {
  clients: readonly StepClientReadRow[];
  hints: readonly HintWindow[];
}

export async function loadCovariateTelemetry(db: ControlDb, q: { bucketSec: number; fromMs: number; toMs: number; horizonSteps: number }): Promise<CovariateTelemetry> {
  const [clients, hints] = await Promise.all([
    clientReadsPerStep(db, { bucketSec: q.bucketSec, fromMs: q.fromMs, toMs: q.toMs }),
    loadHintsBetween(db, { fromMs: q.fromMs, toMs: q.toMs + q.horizonSteps * q.bucketSec * 1000 }),
  ]);
  return { clients, hints };
}

/** The covariate columns a model can be trained with and served: those the shardlet builder makes. */
export function knownCovariateColumn(name: string): CovariateColumn | undefined {
  return SHARDLET_COVARIATE_COLUMNS.find((c) => c.name === name);
}

/**
 * Rows (window then horizon, one column per name in `names`) for every member of every group.
 * Loads of a group must all span the window from `startMs`; observed features are carried
 * forward over the horizon, hints are read over it.
 */
export function buildGroupCovariates(
  groups: readonly CovariateGroup[],
  telemetry: CovariateTelemetry,
  opts: { startMs: number; stepMs: number; horizon: number; names: readonly string[] },
): Map<string, number[][]> {
  const out = new Map<string, number[][]>();
  for (const g of groups) {
    const first = g.members[0];
    if (!first) continue;
    const steps = first.load.length;
    const streamLoad = new Array<number>(steps).fill(0);
    for (const m of g.members) for (let i = 0; i < steps; i++) streamLoad[i]! += m.load[i] ?? 0;
    const peers = new Map(g.members.map((m) => [m.key, m.load]));
    const members = new Set(peers.keys());
    const clients: ClientReadRow[] = [];
    for (const r of telemetry.clients) {
      const key = g.clientKey(r);
      if (key !== null && members.has(key)) clients.push({ ...r, shardletId: key });
    }
    for (const m of g.members) {
      const hints: LoadHintWindow[] = telemetry.hints.filter((h) => h.streamId === m.streamId && h.lo < m.hi && h.hi > m.lo);
      const cov = shardletCovariates(
        { shardletId: m.key, lo: m.lo, hi: m.hi, load: m.load, streamLoad, peers, clients, hints },
        { startMs: opts.startMs, stepMs: opts.stepMs, horizon: opts.horizon },
      );
      out.set(m.key, selectCovariates(cov, opts.names));
    }
  }
  return out;
}

/** Groups for shardlet series: each stream's shardlets together. */
export function shardletGroups(series: ReadonlyArray<CovariateSeries>): CovariateGroup[] {
  const byStream = new Map<string, CovariateSeries[]>();
  for (const s of series) {
    const list = byStream.get(s.streamId) ?? [];
    list.push(s);
    byStream.set(s.streamId, list);
  }
  return [...byStream.values()].map((members) => ({ members, clientKey: (r) => r.shardletId }));
}

/** One group for stream totals: the cluster's streams, a stream's readers counted for it. */
export function streamGroup(loads: ReadonlyMap<string, readonly number[]>): CovariateGroup {
  const members = [...loads].map(([streamId, load]) => ({ key: streamId, streamId, lo: 0, hi: HASH_SPACE, load }));
  return { members, clientKey: (r) => r.streamId };
}

/** Names of the columns with any information in `rows` (a column of zeros teaches nothing). */
export function informativeColumns(names: readonly string[], rows: Iterable<readonly (readonly number[])[]>): string[] {
  const seen = new Array<boolean>(names.length).fill(false);
  for (const series of rows) for (const row of series) row.forEach((v, c) => (seen[c] ||= v !== 0));
  return names.filter((_, c) => seen[c]);
}

/**
 * The corpus's series with the covariate columns a model was trained with, picked by name in the
 * model's order: none for a model without covariates; an error when the corpus lacks one of them.
 */
export function seriesWithColumns(corpus: { series: readonly EvaluationSeries[]; covariates: readonly CovariateColumn[] }, model: { covariates: number; covariateColumns: readonly CovariateColumn[] }): EvaluationSeries[] {
  if (model.covariates === 0) return corpus.series.map(({ covariates: _c, ...s }) => s);
  const have = corpus.covariates.map((c) => c.name);
  if (model.covariateColumns.length !== model.covariates) throw new ShardcastError("bad_request", "the model's covariate columns are not named, so they cannot be matched");
  const idx = model.covariateColumns.map((c) => {
    const i = have.indexOf(c.name);
    if (i < 0) throw new ShardcastError("bad_request", `the model was trained with covariate ${c.name}; the corpus has ${have.length > 0 ? have.join(", ") : "none"}`);
    return i;
  });
  return corpus.series.map((s) => ({ ...s, covariates: (s.covariates ?? []).map((row) => idx.map((i) => row[i] ?? 0)) }));
}
