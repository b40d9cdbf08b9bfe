import {
  copySeconds,
  doubleSeasonalHoltWinters,
  ForecastErrorTracker,
  hostsNeeded,
  planCapacity,
  planHybridCapacity,
  seasonalNaive,
  skillGate,
  selectingForecaster,
  weeklyMedian,
  weeklyNaive,
  type CapacityPlan,
  type CapacitySettings,
  type Forecaster,
  type ScaleInPlan,
} from "@shardcast/core";
import type { Decision, PolicyView } from "../engine/types.ts";
import { leadSettings } from "../move-model.ts";
import { drainFitsAhead } from "./drain-guard.ts";

/**
 * How a policy sizes the cluster:
 * - `reactive`: the product's capacity planner on the observed load held flat (what it does when
 *   the forecast is untrusted): a host is asked for once the load is already past the target, a
 *   host drained once the load is below the scale-in utilisation;
 * - `forecast`: the planner on a forecast of the cluster's load (best model per series among
 *   seasonal naive, weekly naive, the weekly median and double-seasonal Holt-Winters), falling back to `reactive`
 *   while the forecast error tracker flags the series untrusted;
 * - `oracle`: the planner on the true future load, over the rest of the run (up to a week); it
 *   keeps the margin on the lead, since a fill's real duration depends on the migration slots
 *   free on the way, which no load forecast knows; a drain it proposes is made only when the
 *   host's shardlets fit on the rest, host by host, over the true future (`drainFitsAhead`);
 * - `hybrid`: the product's plan (core's `planHybridCapacity`): `forecast` while the forecast's
 *   recent error beats holding the last observed load, the reactive plan otherwise, adding by the
 *   larger of the two and draining only when the reactive plan drains too;
 * - `peak`: the cluster is sized once, at the start, for the workload's busiest bucket.
 */
export type ElasticMode = "reactive" | "forecast" | "hybrid" | "oracle" | "peak";

/** Buckets of cluster load forecast for the capacity plan: two days, so a drain sees the end of a night's trough. */
export const CAPACITY_HORIZON_STEPS = 48;
/** Weeks of cluster history each capacity forecast sees (the double-seasonal model fits over up to four). */
const CAPACITY_HISTORY_WEEKS = 4;
/** The oracle's horizon: up to a week of the true future. */
const ORACLE_HORIZON_STEPS = 168;

export interface ElasticOptions {
  mode: ElasticMode;
  /** Overrides of the run's capacity settings (the tuned reactive policy's thresholds). */
  settings?: Partial<CapacitySettings>;
}

export interface Elastic {
  readonly mode: ElasticMode;
  /** Adds the hosts to ask for and drain now (and the plan behind them) to the decision. */
  into(d: Decision, view: PolicyView): void;
  /** The last plan made (for tests and the what-if). */
  readonly last: CapacityPlan | null;
}

/** The forecaster of the cluster's load: per series, the candidate with the lowest validation error. */
export function capacityForecaster(period: number): Forecaster {
  return selectingForecaster([seasonalNaive, weeklyNaive, weeklyMedian, doubleSeasonalHoltWinters({ refineRounds: 1 })], {
    validationSteps: Math.max(2, period),
    maxOrigins: 2,
  });
}

export function elastic(opts: ElasticOptions): Elastic {
  let forecaster: Forecaster | null = null;
  const tracker = new ForecastErrorTracker();
  let bucket = -1;
  let forecast: number[] = [];
  let untrusted: string | null = null;
  // How far the cluster load ran above its forecasts: it changes only when a bucket is scored.
  let upperFactor = 1;
  let last: CapacityPlan | null = null;
  let sized = false;

  const settingsOf = (view: PolicyView): CapacitySettings => {
    return { ...view.config.capacity, ...opts.settings };
  };

  return {
    mode: opts.mode,
    get last() {
      return last;
    },
    into(d, view) {
      const s = settingsOf(view);
      if (!s.enabled) return;
      const w = view.workload;
      const hosts = view.capacityHosts();
      const hostCap = view.config.cluster.hostCapacityEventsPerSec;
      if (opts.mode === "peak") {
        if (sized) return;
        sized = true;
        const peak = Math.max(0, ...view.clusterFuture(Math.max(1, w.buckets - view.bucket)));
        const want = hostsNeeded(peak, hostCap, s);
        const have = hosts.filter((h) => h.status !== "draining").length;
        if (want > have) d.addHosts += want - have;
        else for (const h of hosts.slice(0, have - want).reverse()) d.drainHosts.push(h.id);
        d.plan = { forecast: peak, hostsNeeded: want };
        return;
      }
      let observed = 0;
      for (const x of view.shardlets) observed += x.load;
      if (view.tick === 0) observed = view.clusterFuture(1)[0] ?? 0;
      if (opts.mode === "reactive") {
        forecast = new Array<number>(CAPACITY_HORIZON_STEPS).fill(observed);
        untrusted = "reactive policy: hosts follow the observed load";
      } else if (opts.mode === "oracle") {
        if (bucket !== view.bucket) {
          bucket = view.bucket;
          forecast = view.clusterFuture(Math.max(1, Math.min(ORACLE_HORIZON_STEPS, w.buckets - view.bucket)));
        }
        untrusted = null;
      } else if (bucket !== view.bucket) {
        // A new bucket completed: score the last forecast against it, then forecast from it.
        bucket = view.bucket;
        const history = view.clusterHistory(CAPACITY_HISTORY_WEEKS * 7 * w.period + 1);
        const actual = history[history.length - 1];
        if (actual !== undefined) {
          const trust = tracker.observe("cluster", view.bucket - 1, actual);
          untrusted = trust.trusted ? null : trust.reason;
        }
        upperFactor = tracker.upperFactor("cluster", settingsOf(view).forecastQuantile);
        forecaster ??= capacityForecaster(w.period);
        forecast = history.length >= 3 ? forecaster.forecast({ history, horizon: CAPACITY_HORIZON_STEPS, period: w.period }) : new Array<number>(CAPACITY_HORIZON_STEPS).fill(observed);
        tracker.recordForecast("cluster", view.bucket, forecast);
      }
      const nowMs = view.bucket * w.bucketMs;
      const cl = view.config.cluster;
      const input = {
        nowMs,
        stepMs: w.bucketMs,
        forecast,
        observed,
        hosts,
        // A host's lead is timed with the moves of the model in force.
        settings: leadSettings(cl, s),
        ...(untrusted ? { untrusted } : {}),
        // Only the forecasting modes have misses to cover (the oracle's forecast is the truth).
        ...(opts.mode === "forecast" || opts.mode === "hybrid" ? { upperFactor } : {}),
      };
      const plan = opts.mode === "hybrid" ? planHybridCapacity(input, skillGate(tracker.skill("cluster"))) : planCapacity(input);
      last = plan;
      const step = plan.timeline[0];
      if (step) d.plan = { forecast: step.forecast, hostsNeeded: step.hostsNeeded, untrusted };
      // A host is asked for once its start time has come: earlier it would be paid for idle.
      if (plan.add && plan.add.startByMs <= view.now) d.addHosts += plan.add.count;
      const drain = plan.drain && (cl.moveModel === "copy" || drainPays(plan.drain, nowMs, plan.leadSec, s)) ? plan.drain : null;
      if (drain && (opts.mode !== "oracle" || oracleDrainFits(view, drain.hostId))) d.drainHosts.push(drain.hostId);
    },
  };
}

/**
 * A drain under hand-off moves: its load leaves in seconds, but the host is paid until its history
 * (its own and what hand-offs sealed on it) is copied off at the copy budget, as under copies. The
 * plan timed the drain as hand-offs only, so its saving is taken again with that copy.
 */
function drainPays(drain: ScaleInPlan, nowMs: number, leadSec: number, s: CapacitySettings): boolean {
  const savingSec = (drain.troughEndsMs - nowMs) / 1000 - leadSec - copySeconds(drain.bytes, s);
  return savingSec >= s.minScaleInSavingSec;
}

const MAX_DRAIN_CHECK_STEPS = 168;

/** The oracle drains only what fits host by host over its look-ahead of the true future (see drain-guard.ts). */
function oracleDrainFits(view: PolicyView, hostId: string): boolean {
  const o = view.config.policy.oracle;
  if (!(o.drainLookaheadSec > 0)) return true;
  // At most a week of hourly buckets: with the what-if's short buckets the check runs on every tick
  // a drain is due, and its cost grows with shardlets x steps.
  const steps = Math.min(Math.ceil((o.drainLookaheadSec * 1000) / view.workload.bucketMs), Math.max(1, view.workload.buckets - view.bucket), MAX_DRAIN_CHECK_STEPS);
  return drainFitsAhead(view, hostId, { steps, utilization: o.drainFitUtilization });
}
