import { formatBytes } from "../format.ts";

/**
 * The copy speed capacity plans, the analyzer's feasibility checks and the rebalancer's move costs
 * assume: the configured copy budget, or what recent migrations achieved when that is slower.
 * How long a move takes decides how far ahead a host must be asked for and whether a move
 * finishes before the overload it is for; a plan that assumed the budget while copies ran slower
 * (a lower migration throttle, busy hosts) would act too late. A measurement faster than the
 * budget is not taken: the budget is the operator's bound on what a copy may take of a host.
 */
export interface PlannedCopySpeed {
  bytesPerSec: number;
  /** Set when the measurement was slower than the budget and is what the plan uses. */
  measured?: { bytesPerSec: number; migrations: number };
}

export function plannedCopySpeed(budgetBytesPerSec: number, measured: { bytesPerSec: number; migrations: number } | null): PlannedCopySpeed {
  if (!measured || !(measured.bytesPerSec > 0) || measured.bytesPerSec >= budgetBytesPerSec) return { bytesPerSec: budgetBytesPerSec };
  return { bytesPerSec: measured.bytesPerSec, measured };
}

/** The plan's note when it copies at the measured speed rather than the budget; null otherwise. */
export function copySpeedNote(speed: PlannedCopySpeed, budgetBytesPerSec: number): string | null {
  if (!speed.measured) return null;
  return `copies planned at ${formatBytes(speed.bytesPerSec)}/s, the median of the last ${speed.measured.migrations} migrations, below the copy budget of ${formatBytes(budgetBytesPerSec)}/s`;
}
