/** The tuned thresholds of the suite's policies (tuned on seeds 101-102 only, never the reported seeds). */

/**
 * The knobs the fair contest's tuning chose for each policy (`npm run sim -- --tune-contest`,
 * contest/tune.ts): the rebalancer's tolerance and its per-host trend look-ahead, from the same
 * four candidates for every policy, on data the suite never scores. The suite's reactive_tuned,
 * predictive and static_peak run with them.
 */
export const CONTEST_KNOBS = {
  reactive: { tolerance: 0.1, outlook: false },
  predictive: { tolerance: 0.1, outlook: true },
  static: { tolerance: 0.05, outlook: false },
} as const;

/**
 * The reactive policy at its best-tuned settings (`reactive_tuned`): capacity target and scale-in
 * utilisation and rebalancer tolerance, from the grid of `npm run sim -- --tune-reactive --days 22`
 * (target 0.6-0.8, scale-in 0.45-0.65, tolerance 0.05 or 0.1) on the generators diurnal,
 * zipf-drift, flash-crowd and tenants with seeds 101 and 102, never the seeds the suite reports.
 * Re-run once the rebalancer relieved a host past its limit by the moves that switch soonest (a
 * change every policy gets): target 0.8 / scale-in 0.45 / tolerance 0.1 had 436 violation minutes
 * at 10,017 host-hours (tolerance 0.05: 524 at 10,025; before that change 767 at 10,020). The
 * predictive policy used 9,976 host-hours there (186 violation minutes), so the grid's rule (no
 * more host-hours than predictive) would pick 0.8 / 0.55 / 0.1 (1,378 at 9,760); a 0.4% margin
 * should not turn the baseline into one with three times the violation minutes, so reactive_tuned
 * keeps the stronger 0.8 / 0.45 / 0.1. Reactive does better only by paying more: 0.75 / 0.45 /
 * 0.1 had 305 at 10,905 host-hours.
 */
export const REACTIVE_TUNED = { targetUtilization: 0.8, scaleInUtilization: 0.45, ...CONTEST_KNOBS.reactive } as const;

/**
 * The predictive policy's capacity thresholds in the suite, tuned the same way on the same seeds
 * (101-102, every workload, quick runs): target 0.8 (reactive_tuned's), scale-in 0.55, and the
 * product's default forecast quantile 0.9. Against reactive_tuned there: 68% fewer violation
 * minutes at 1.07x its host-hours and 0.94x its bytes; at the product defaults (0.75 / 0.65)
 * 72% fewer at 1.11x the host-hours and 1.48x the bytes; without the quantile band 51% fewer.
 *
 * The band is planned at 85% of the hosts (`bandUtilization`), the point forecast at the target:
 * planned at the target, a band of a few percent (daily cycles, the dos traces) bought a ninth
 * host the target's own headroom already covered. Tried at 0.85, 0.9 and 0.95 on the same seeds:
 * about 3% fewer host-hours than with the band at the target at each; 0.85 had the fewest violation
 * minutes of the three (on those runs most of the difference is zipf-drift, whose violations at
 * eight hosts vary several-fold with the layout the warm-up leaves).
 */
export const PREDICTIVE_TUNED = { targetUtilization: 0.8, scaleInUtilization: 0.55, bandUtilization: 0.85 } as const;

/**
 * The predictive policy's rebalancer tolerance, tuned on seeds 101-102 (zipf-drift, tenants,
 * flash-crowd, diurnal) like reactive_tuned's: with its look-ahead per host and the rebalancer's
 * copy-time-aware relief, 0.1 had 186 violation minutes there against 319 at 0.05 (at about the
 * same host-hours); the reactive grid, re-run with that rebalancer, also picks 0.1.
 */
export const PREDICTIVE_TOLERANCE = CONTEST_KNOBS.predictive.tolerance;
