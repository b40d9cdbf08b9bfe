import type { SimConfig } from "../config.ts";
import type { InitialLayout } from "../engine/layout.ts";
import { runClock } from "../engine/state.ts";
import { frontierOf, reactiveFrontier, type FrontierPoint } from "../frontier.ts";
import type { SimWorkload } from "../workload/types.ts";
import type { ContestFrontiers } from "./matched.ts";
import type { ContestRun } from "./metrics.ts";
import { BASE_TARGET, contestPolicy, oracleAt, type ContestPolicy } from "./policies.ts";

/**
 * The targets each policy runs at besides the suite's own runs (reactive_tuned, predictive and
 * static_peak at BASE_TARGET; reactive also has the suite's frontier, FRONTIER_TARGETS). Reactive
 * and predictive get the same six targets, 0.95 down to 0.5, dense where 1.0-1.2x reactive_tuned's
 * host-hours lie; reactive keeps 0.35 from the suite's frontier. Static provisioning has one knob,
 * the size of its fixed cluster, and six points from 0.95 to 0.65, as many as predictive.
 */
export const CONTEST_TARGETS: Readonly<Record<ContestPolicy, readonly number[]>> = {
  reactive: [0.95, 0.72, 0.58],
  predictive: [0.95, 0.72, 0.65, 0.58, 0.5],
  static: [0.95, 0.9, 0.85, 0.7, 0.65],
};

/** The oracle's frontier, six points like predictive's (its base point is the suite's oracle run, at the run's own target). */
export const ORACLE_TARGETS: readonly number[] = [0.95, 0.85, 0.65, 0.58, 0.5];

const point = (targetUtilization: number, m: { hostHours: number; violationMinutes: number }): FrontierPoint => ({ targetUtilization, hostHours: m.hostHours, violationMinutes: m.violationMinutes });

type Totals = { hostHours: number; violationMinutes: number };

/**
 * One run's contest: the suite's runs of the three policies (and reactive's frontier) are their
 * base points, and the extra targets are run on the same workload, seed and start layout; so is
 * the oracle's frontier, when the suite ran the oracle.
 */
export function contestRun(
  workload: SimWorkload,
  config: SimConfig,
  layout: InitialLayout,
  base: { reactive: Totals; predictive: Totals; static: Totals; reactiveFrontier: readonly FrontierPoint[]; oracle?: Totals | undefined },
): Omit<ContestRun, "workload" | "seed"> {
  const extra = (p: ContestPolicy) => frontierOf(workload, config, CONTEST_TARGETS[p], (t) => contestPolicy(p, t, config), layout);
  const frontiers: ContestFrontiers = {
    reactive: [point(BASE_TARGET.reactive, base.reactive), ...base.reactiveFrontier, ...reactiveFrontier(workload, config, layout, CONTEST_TARGETS.reactive)],
    predictive: [point(BASE_TARGET.predictive, base.predictive), ...extra("predictive")],
    static: [point(BASE_TARGET.static, base.static), ...extra("static")],
  };
  // Only where the suite ran the oracle: its frontier is context for the bound, not a contestant.
  const oracle = base.oracle
    ? [point(config.capacity.targetUtilization, base.oracle), ...frontierOf(workload, config, ORACLE_TARGETS, (t) => ({ policy: oracleAt(t, config) }), layout)]
    : undefined;
  const clock = runClock(workload, config);
  return { anchorHostHours: base.reactive.hostHours, measuredMinutes: ((clock.ticks - clock.measuredFromTick) * clock.tickMs) / 60_000, frontiers, ...(oracle ? { oracle } : {}) };
}
