import {
  forecastStartMs,
  hintRatePerStep,
  isRoutedState,
  type AnalyzerSettings,
  type AnalyzerShardlet,
  type LifecycleSettings,
  type PlacementHost,
} from "@shardcast/core";
import {
  listHosts,
  listShardletLineage,
  listShardlets,
  listUnfinishedLifecycleJobs,
  loadHintsBetween,
  recentlyAppliedSplits,
  recentlyMovedShardlets,
  shardletsInOpenMigrations,
  rateSeries,
  type ControlDb,
  type HintWindow,
  type HostInfo,
  type ShardletInfo,
} from "@shardcast/db";
import type { OpLocks } from "@shardcast/runtime/oplock";
import { buildGroupCovariates, loadCovariateTelemetry, shardletGroups } from "../training/covariates.ts";

/**
 * What one analyzer run sees: the hosts, every routed shardlet with its write-rate history (from
 * telemetry, at the analyzer's step), its hinted rate per horizon step, and the shardlets a job
 * already holds. Time is cut at whole steps: the forecast starts where the last step that
 * telemetry has completely rolled up ends.
 */
export interface AnalyzerInputs {
  /** Start of the first forecast step (epoch ms): the end of the last complete history step. */
  baseMs: number;
  bucketMs: number;
  horizonSteps: number;
  hosts: HostInfo[];
  placementHosts: PlacementHost[];
  shardlets: ShardletInfo[];
  analyzerShardlets: AnalyzerShardlet[];
  busy: Set<string>;
  /** Moved within the cool-down: may split, may not move. */
  pinned: Set<string>;
  /** Shardlets whose history came (partly) from their retired parents. */
  backfilled: number;
  /** Each analyzer shardlet's reads/s per step, cut and extended through its lineage as its write history. */
  readHistory: Map<string, number[]>;
}

/** Shardlets a split applied this recently is still expected to retire (its job may not have started yet). */
const APPLIED_SPLIT_GRACE_MS = 5 * 60_000;
/** Generations of retired ancestors whose telemetry a young shardlet inherits. */
const LINEAGE_DEPTH = 3;

/**
 * When the shardlet's range first took writes: the earliest creation in its known lineage. Steps
 * before it are not observations (nothing existed to write to) and are left out of the history.
 */
export function bornMs(ancestors: ReadonlyMap<string, { parentId: string | null; mergedFromId: string | null; createdMs: number }>, id: string, depth = LINEAGE_DEPTH): number {
  const node = ancestors.get(id);
  if (!node) return Infinity;
  let born = node.createdMs;
  if (depth > 0) for (const pid of [node.parentId, node.mergedFromId]) if (pid) born = Math.min(born, bornMs(ancestors, pid, depth - 1));
  return born;
}


/**
 * Series of live shardlets extended back through their lineage: a split child inherits half its
 * parent's writes (splits cut at the load median), a merged shardlet both parents'. Parents stop
 * receiving writes when the child starts, so the sum needs no cut-over time.
 */
export function withLineage(
  own: ReadonlyMap<string, readonly number[]>,
  ancestors: ReadonlyMap<string, { parentId: string | null; mergedFromId: string | null }>,
  id: string,
  steps: number,
  depth = LINEAGE_DEPTH,
): { values: number[]; inherited: boolean } {
  const values = own.get(id) ? [...own.get(id)!] : new Array<number>(steps).fill(0);
  let inherited = false;
  const node = ancestors.get(id);
  if (depth > 0 && node?.parentId) {
    const share = node.mergedFromId ? 1 : 0.5;
    for (const pid of node.mergedFromId ? [node.parentId, node.mergedFromId] : [node.parentId]) {
      const parent = withLineage(own, ancestors, pid, steps, depth - 1);
      if (!own.has(pid) && !parent.inherited) continue;
      for (let i = 0; i < steps; i++) values[i]! += share * parent.values[i]!;
      inherited = true;
    }
  }
  return { values, inherited };
}

interface Lineage {
  parentId: string | null;
  mergedFromId: string | null;
  createdMs: number;
}

async function ancestorsOf(db: ControlDb, live: readonly ShardletInfo[]): Promise<Map<string, Lineage>> {
  const out = new Map<string, Lineage>();
  for (const s of live) out.set(s.id, { parentId: s.parentId, mergedFromId: s.mergedFromId, createdMs: s.createdAt.getTime() });
  let frontier = live.flatMap((s) => [s.parentId, s.mergedFromId]).filter((x): x is string => x !== null && !out.has(x));
  for (let depth = 0; depth < LINEAGE_DEPTH && frontier.length > 0; depth++) {
    const rows = await listShardletLineage(db, frontier);
    for (const r of rows) out.set(r.id, { parentId: r.parentId, mergedFromId: r.mergedFromId, createdMs: r.createdAt.getTime() });
    frontier = rows.flatMap((r) => [r.parentId, r.mergedFromId]).filter((x): x is string => x !== null && !out.has(x));
  }
  return out;
}

function hintsFor(s: ShardletInfo, byStream: ReadonlyMap<string, readonly HintWindow[]>, baseMs: number, stepMs: number, steps: number): number[] | undefined {
  const mine = (byStream.get(s.streamId) ?? []).filter((h) => h.lo < s.hi && h.hi > s.lo);
  if (mine.length === 0) return undefined;
  return hintRatePerStep(mine, { lo: s.lo, hi: s.hi }, { startMs: baseMs, stepMs, steps });
}

export async function loadAnalyzerInputs(
  db: ControlDb,
  opts: { nowMs: number; settings: AnalyzerSettings; lifecycle: LifecycleSettings; opLocks?: OpLocks },
): Promise<AnalyzerInputs> {
  const { settings } = opts;
  const bucketMs = settings.bucketSec * 1000;
  const horizonSteps = settings.horizonSec / settings.bucketSec;
  const baseMs = forecastStartMs(opts.nowMs, settings);
  const fromMs = baseMs - settings.historySteps * bucketMs;

  const [hosts, all, jobs, locked, migrating, applied, moved] = await Promise.all([
    listHosts(db),
    listShardlets(db),
    listUnfinishedLifecycleJobs(db),
    opts.opLocks ? opts.opLocks.lockedShardlets() : Promise.resolve([] as string[]),
    shardletsInOpenMigrations(db),
    recentlyAppliedSplits(db, new Date(opts.nowMs - APPLIED_SPLIT_GRACE_MS)),
    recentlyMovedShardlets(db, new Date(opts.nowMs - settings.moveCooldownSec * 1000)),
  ]);
  const shardlets = all.filter((s) => isRoutedState(s.state));
  const ancestors = await ancestorsOf(db, shardlets);
  const lineageIds = [...ancestors.keys()];
  const [series, reads, hints] = await Promise.all([
    rateSeries(db, { metric: "writes", shardletIds: lineageIds, bucketSec: settings.bucketSec, fromMs, toMs: baseMs }),
    rateSeries(db, { metric: "reads", shardletIds: lineageIds, bucketSec: settings.bucketSec, fromMs, toMs: baseMs }),
    loadHintsBetween(db, { fromMs: baseMs, toMs: baseMs + horizonSteps * bucketMs }),
  ]);

  // Grouped once: filtering every hint for every shardlet would cost hints × shardlets a run.
  const hintsByStream = new Map<string, HintWindow[]>();
  for (const h of hints) {
    const list = hintsByStream.get(h.streamId);
    if (list) list.push(h);
    else hintsByStream.set(h.streamId, [h]);
  }

  const busy = new Set<string>([...locked, ...migrating.keys(), ...applied]);
  for (const j of jobs) for (const id of [...j.sourceIds, ...j.childIds]) busy.add(id);

  let backfilled = 0;
  const minWidth = Math.max(1, opts.lifecycle.minShardletWidth);
  const readHistory = new Map<string, number[]>();
  const analyzerShardlets = shardlets.map((s): AnalyzerShardlet => {
    const history = withLineage(series, ancestors, s.id, settings.historySteps);
    if (history.inherited) backfilled++;
    const firstFull = Math.ceil((bornMs(ancestors, s.id) - fromMs) / bucketMs);
    const observedPart = (values: number[]) => (firstFull > 0 ? values.slice(Math.min(firstFull, values.length)) : values);
    const observed = observedPart(history.values);
    readHistory.set(s.id, observedPart(withLineage(reads, ancestors, s.id, settings.historySteps).values));
    const hinted = hintsFor(s, hintsByStream, baseMs, bucketMs, horizonSteps);
    return {
      id: s.id,
      streamId: s.streamId,
      // A shardlet with a migration under way is planned where it is going, so the next run does
      // not relieve its source host a second time.
      hostId: migrating.get(s.id) ?? s.hostId,
      load: s.writeRate,
      sizeBytes: s.sizeBytes,
      state: s.state,
      capacityBytes: s.capacityBytes,
      history: observed,
      ...(hinted ? { hints: hinted } : {}),
      bytesPerEvent: s.eventCount > 0 ? s.sizeBytes / s.eventCount : 0,
      splittable: s.hi - s.lo >= 2 * minWidth,
    };
  });
  const placementHosts = hosts.map((h) => ({
    id: h.id,
    status: h.status,
    // Planned on what the host is measured to serve (or an operator's figure), not only what was configured.
    capacityEventsPerSec: h.effectiveCapacityEventsPerSec,
    capacityBytes: h.capacityBytes,
    sizeBytes: h.sizeBytes,
  }));
  return { baseMs, bucketMs, horizonSteps, hosts, placementHosts, shardlets, analyzerShardlets, busy, pinned: moved, backfilled, readHistory };
}

/**
 * Each shardlet's covariates for its forecast, the columns `names` in that order (those the model
 * was trained with), one row per history step then per horizon step: built from telemetry as the
 * training corpus builds them, hints read over the horizon, observed features carried forward.
 */
export async function loadForecastCovariates(
  db: ControlDb,
  inputs: Pick<AnalyzerInputs, "baseMs" | "bucketMs" | "horizonSteps" | "shardlets" | "analyzerShardlets">,
  opts: { names: readonly string[]; historySteps: number },
): Promise<Map<string, number[][]>> {
  const steps = opts.historySteps;
  const fromMs = inputs.baseMs - steps * inputs.bucketMs;
  const info = new Map(inputs.shardlets.map((s) => [s.id, s]));
  // Every history on the same window: steps before a shardlet existed carried no load.
  const members = inputs.analyzerShardlets.map((s) => {
    const i = info.get(s.id);
    const load = [...new Array<number>(Math.max(0, steps - s.history.length)).fill(0), ...s.history.slice(-steps)];
    return { key: s.id, streamId: s.streamId, lo: i?.lo ?? 0, hi: i?.hi ?? 0, load };
  });
  const telemetry = await loadCovariateTelemetry(db, { bucketSec: inputs.bucketMs / 1000, fromMs, toMs: inputs.baseMs, horizonSteps: inputs.horizonSteps });
  const built = buildGroupCovariates(shardletGroups(members), telemetry, { startMs: fromMs, stepMs: inputs.bucketMs, horizon: inputs.horizonSteps, names: opts.names });
  const out = new Map<string, number[][]>();
  for (const s of inputs.analyzerShardlets) {
    const rows = built.get(s.id);
    if (rows) out.set(s.id, rows.slice(Math.max(0, steps - s.history.length)));
  }
  return out;
}
