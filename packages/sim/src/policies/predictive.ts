import { analyzeLoad, copySeconds, ForecastErrorTracker, judgeShardletForecasts, recordShardletForecasts, SHARDLET_ERROR_TRACKER_OPTIONS, type AnalyzerShardlet, type CapacitySettings, type Forecaster } from "@shardcast/core";
import { emptyDecision, type MoveRequest, type Policy, type PolicyView } from "../engine/types.ts";
import { elastic, type Elastic } from "./capacity.ts";
import { lifecycleInto, rebalanceInto, toMove } from "./common.ts";
import { leadSettings } from "../move-model.ts";
import { HostOutlook } from "./outlook.ts";
import { CachingForecaster, OracleForecaster, productForecaster, type SimForecasterKind } from "./forecasters.ts";

export interface PredictiveOptions {
  name: string;
  /** The model, or "oracle" for the true future read from the workload. */
  forecaster: Forecaster | "oracle";
  /** How the cluster is sized (default: the capacity planner on forecasts, or on the true future for the oracle). */
  elastic?: Elastic | null;
  /** The rebalancer's per-host trend look-ahead (the run's `hostOutlook`; default on). */
  outlook?: boolean;
}

/**
 * Forecast-driven placement: the lifecycle manager as in the reactive policy, the predictive
 * analyzer (`analyzeLoad`) for splits ahead of predicted overload and moves that keep every host
 * under its bound of the mean predicted utilisation, and the reactive rebalancer as the safety net
 * for what the forecast missed. With "oracle" the analyzer gets a perfect forecast and nothing
 * else changes, which makes it the ceiling of this machinery.
 */
/** A predictive policy, the forecaster it asks (so tests can check the oracle was asked, and told) and its capacity planning. */
export type PredictivePolicy = Policy & { readonly forecaster: Forecaster; readonly elastic: Elastic | null };

export function predictivePolicy(opts: PredictiveOptions): PredictivePolicy {
  const oracle = opts.forecaster === "oracle" ? new OracleForecaster() : null;
  const forecaster: Forecaster = oracle ?? new CachingForecaster(opts.forecaster as Forecaster);
  // Moves of the last analyzer run that could not start yet (their hosts were busy migrating):
  // like approved proposals waiting for a migration slot, they start as slots free up, until the
  // next run replaces them.
  let queued: MoveRequest[] = [];
  // Predicted peaks of the last analyzer run: a pair predicted to get busy is not merged (the
  // lifecycle manager would merge the pieces the analyzer just cut ahead of announced load).
  let predictedPeak = new Map<string, number>();
  // Each shardlet's largest forecast over the rebalancer's lead, from the last analyzer run.
  let coming = new Map<string, number>();
  // Each host's load over the last hour, for the rebalancer's short look-ahead per host.
  let outlook: HostOutlook | null = null;
  // Each shardlet's forecasts against what came, as the product's analyzer keeps them: a shardlet
  // whose forecasts missed is planned on its observed rate until they are close again.
  const trust = new ForecastErrorTracker(SHARDLET_ERROR_TRACKER_OPTIONS);
  const sizing = opts.elastic === undefined ? elastic({ mode: oracle ? "oracle" : "forecast" }) : opts.elastic;
  return {
    name: opts.name,
    forecaster,
    elastic: sizing,
    decide(view) {
      const d = emptyDecision();
      const splitting = new Set<string>();
      lifecycleInto(d, view, splitting);
      const planned = new Map<string, string>();
      const cfg = view.config.policy;
      const moves = oracle ? cfg.oracle.analyzerMoves : cfg.analyzerMoves;
      const busySoon = (id: string) => {
        const sl = view.shardlet(id);
        return (predictedPeak.get(id) ?? 0) >= cfg.lifecycle.mergeWriteRate || (sl !== undefined && view.hintRange(sl, cfg.horizonSteps) !== undefined);
      };
      d.merges = d.merges.filter((m) => {
        if (!busySoon(m.leftId) && !busySoon(m.rightId)) return true;
        splitting.delete(m.leftId);
        splitting.delete(m.rightId);
        return false;
      });
      const every = cfg.analyzeEveryTicks > 0 ? cfg.analyzeEveryTicks : Math.max(1, Math.round(view.workload.bucketMs / (view.config.cluster.tickMinutes * 60_000)));
      if (cfg.analyzer.enabled && view.tick % every === 0) {
        queued = [];
        const shardlets = analyzerShardlets(view, oracle);
        const untrusted = oracle ? undefined : judgeShardletForecasts(trust, shardlets, view.bucket);
        const out = analyzeLoad({
          now: view.bucket * view.workload.bucketMs,
          bucketMs: view.workload.bucketMs,
          horizonSteps: cfg.horizonSteps,
          period: view.workload.period,
          hosts: view.hosts,
          shardlets,
          splitWriteRate: cfg.lifecycle.splitWriteRate,
          splitFullness: cfg.lifecycle.splitThreshold,
          forecaster,
          settings: cfg.analyzer,
          busy: splitting.size === 0 ? view.busy : new Set([...view.busy, ...splitting]),
          ...(untrusted ? { untrusted } : {}),
        });
        // Only the steps before the next run are ever scored: a later forecast of a step replaces this one.
        const scored = Math.max(1, Math.ceil((every * view.config.cluster.tickMinutes * 60_000) / view.workload.bucketMs));
        if (!oracle) recordShardletForecasts(trust, view.bucket, out, { steps: scored });
        predictedPeak = new Map(out.ranking.map((r) => [r.shardletId, r.predictedPeak]));
        const lead = oracle ? oracleLeadSteps(view) : Math.max(0, Math.floor(cfg.rebalanceLeadSteps));
        coming = new Map();
        if (lead > 0) for (const [id, f] of out.forecasts) coming.set(id, Math.max(0, ...f.slice(0, lead)));
        for (const s of oracle && !cfg.oracle.analyzerSplits ? [] : out.splits) {
          if (splitting.has(s.shardletId)) continue;
          // Ahead of announced load, cut at the middle of the announced window (the median of
          // the predicted load): the current load median knows nothing of load not there yet.
          // The oracle cuts at the median of the true coming load, key by key.
          const sl = view.shardlet(s.shardletId);
          const hinted = sl && !oracle ? view.hintRange(sl, cfg.horizonSteps) : undefined;
          const at = !sl ? undefined : oracle ? view.futureMedian(sl, cfg.horizonSteps) : hinted ? Math.floor((hinted.lo + hinted.hi) / 2) : undefined;
          d.splits.push({ shardletId: s.shardletId, reason: s.reason, source: "analyzer", ...(at !== undefined ? { at } : {}) });
          splitting.add(s.shardletId);
        }
        // A move the analyzer itself judges infeasible (the copy would not finish before the
        // predicted overload, or the destination lacks headroom) is left to the safety net.
        // A shardlet placed for the forecast horizon stays there for that horizon: the analyzer
        // keeps no memory of its moves, and re-planning every bucket would move it back and forth.
        const settleMs = cfg.horizonSteps * view.workload.bucketMs;
        const overloaded = hostsPredictedOver(view, shardlets, out.forecasts);
        for (const m of out.moves) {
          const f = m.feasibility;
          const movedAt = view.recentMoves.get(m.shardletId);
          if (movedAt !== undefined && view.now - movedAt < settleMs) continue;
          // Forecast-driven moves relieve hosts predicted to pass the overload fraction of their
          // capacity; balance the rest of the time is the rebalancer's (two planners balancing on
          // different loads, one current and one predicted, move the same shardlets back and forth).
          if (moves === "none" || (moves === "overload" && !overloaded.has(m.sourceHostId))) continue;
          if (f.headroom.ok && f.bandwidth.ok && f.window.ok) queued.push(toMove(m, "analyzer"));
        }
        d.scaleOut = out.addHost !== null;
      }
      queued = queued.filter((m) => {
        const s = view.shardlet(m.shardletId);
        return s !== undefined && s.hostId !== m.destHostId && !view.busy.has(m.shardletId);
      });
      const ahead: MoveRequest[] = [];
      for (const m of queued) {
        if (splitting.has(m.shardletId) || planned.has(m.shardletId)) continue;
        ahead.push(m);
        planned.set(m.shardletId, m.destHostId);
      }
      // The safety net plans around the moves ahead, but an overload now gets the migration
      // slots first: its moves are applied before the forecast's.
      // The host's own short trend (not the oracle's: it balances the true coming load instead).
      const look = cfg.hostOutlook;
      if (!oracle && opts.outlook !== false && look.leadMinutes > 0) outlook ??= new HostOutlook(view.config.cluster.tickMinutes, look.windowMinutes, look.leadMinutes);
      const rising = outlook?.next(view);
      const tuned = !oracle && cfg.predictiveTolerance !== null ? { tolerance: cfg.predictiveTolerance } : undefined;
      rebalanceInto(d, view, new Set([...splitting, ...planned.keys()]), planned, coming.size > 0 ? coming : undefined, tuned, rising);
      d.moves.push(...ahead);
      sizing?.into(d, view);
      return d;
    },
  };
}

/**
 * How far ahead the oracle's rebalancer balances: the buckets it takes to move a host's share (the
 * mean stored bytes of the serving hosts, at the copy budget and migration slots; with hand-off
 * moves, a hand-off), at most `oracle.rebalanceLeadSteps`. A move placed for load further ahead
 * than a move takes unbalances the load of now: with a fixed four buckets and copies four times
 * faster than the default, the oracle had more violation minutes than reactive_tuned on
 * zipf-drift and the dos traces.
 */
export function oracleLeadSteps(view: Pick<PolicyView, "config" | "capacityHosts"> & { workload: Pick<PolicyView["workload"], "bucketMs"> }): number {
  const cap = Math.max(0, Math.floor(view.config.policy.oracle.rebalanceLeadSteps));
  const serving = view.capacityHosts().filter((h) => h.status === "active");
  if (cap === 0 || serving.length === 0) return cap;
  let bytes = 0;
  for (const h of serving) bytes += h.sizeBytes;
  const sec = copySeconds(bytes / serving.length, leadSettings(view.config.cluster, view.config.capacity));
  return Math.min(cap, Math.max(1, Math.ceil((sec * 1000) / view.workload.bucketMs)));
}

/** Forecast load per host and step: its shardlets' forecasts summed (migrations on their destination). */
function hostSeries(shardlets: readonly AnalyzerShardlet[], forecasts: ReadonlyMap<string, readonly number[]>): Map<string, number[]> {
  const series = new Map<string, number[]>();
  for (const s of shardlets) {
    const f = forecasts.get(s.id);
    if (!f) continue;
    let acc = series.get(s.hostId);
    if (!acc) series.set(s.hostId, (acc = []));
    for (let i = 0; i < f.length; i++) acc[i] = (acc[i] ?? 0) + f[i]!;
  }
  return series;
}

/**
 * Hosts whose forecast load (their shardlets' forecasts summed step by step, migrations counted
 * on their destination) reaches the analyzer's overload fraction of their capacity in the horizon.
 */
function hostsPredictedOver(view: PolicyView, shardlets: readonly AnalyzerShardlet[], forecasts: ReadonlyMap<string, readonly number[]>): Set<string> {
  const series = hostSeries(shardlets, forecasts);
  const over = new Set<string>();
  const fraction = view.config.policy.analyzer.overloadFraction;
  for (const h of view.hosts) {
    const peak = Math.max(0, ...(series.get(h.id) ?? []));
    if (peak >= fraction * h.capacityEventsPerSec) over.add(h.id);
  }
  return over;
}

/**
 * The analyzer's view of the shardlets. A shardlet being migrated is placed on its destination (it
 * will land there and cannot be moved again), so a predicted overload is not relieved twice. Sizes
 * are held over the horizon (`bytesPerEvent` 0): with retention, writes replace expiring events.
 */
function analyzerShardlets(view: PolicyView, oracle: OracleForecaster | null): AnalyzerShardlet[] {
  const cfg = view.config.policy;
  const minWidth = Math.max(1, cfg.lifecycle.minShardletWidth);
  return view.shardlets.map((s) => {
    const history = view.history(s);
    if (oracle) oracle.register(history, view.future(s, cfg.horizonSteps));
    const hints = oracle ? undefined : view.hints(s, cfg.horizonSteps);
    return {
      id: s.id,
      streamId: s.streamId,
      hostId: view.inFlightMoves.get(s.id) ?? s.hostId,
      load: s.load,
      sizeBytes: s.sizeBytes,
      state: s.state,
      capacityBytes: s.capacityBytes,
      history,
      ...(hints ? { hints } : {}),
      bytesPerEvent: 0,
      splittable: s.hi - s.lo >= 2 * minWidth && !view.unsplittable.has(s.id),
    };
  });
}

export function predictiveWith(kind: SimForecasterKind, capacity: Partial<CapacitySettings> = {}, mode: "forecast" | "hybrid" = "forecast", outlook = true): PredictivePolicy {
  return predictivePolicy({ name: mode === "hybrid" ? "hybrid" : "predictive", forecaster: productForecaster(kind), elastic: elastic({ mode, settings: capacity }), outlook });
}

/**
 * The oracle: an upper bound on what knowing the future buys, not the predictive policy with a
 * perfect forecast. It reads the true load of every shardlet for the analyzer's horizon (its splits
 * cut at the median of the coming load, its rebalancer balances each shardlet's larger of current
 * and coming load as far ahead as copying a host's share takes, at most four buckets, so the
 * shardlets that will be hot are the ones it moves), and the true cluster load for up to a week
 * ahead, on which the capacity planner times every host request (provisioning plus the copy of the
 * new host's share, plus the same margin, since the copies' real duration depends on the migration
 * slots free on the way) and takes a drain only for a trough that is really there, and only when
 * the drained host's shardlets fit on the rest, host by host, over the next 12 hours of their true
 * load (`drainFitsAhead`; without it the oracle packed a ticker that burst hours later onto one
 * host, and had more violation minutes than the predictive policy on the tweet volumes). It does
 * not solve placement offline: moves go through the same planners and migration slots at the
 * product's thresholds, so it bounds what better forecasts can buy, not what any placement could;
 * at copy budgets far above the default those thresholds, not foresight, limit it
 * (docs/sim-experiments.md).
 */
export function oraclePolicy(): PredictivePolicy {
  return predictivePolicy({ name: "oracle", forecaster: "oracle" });
}
