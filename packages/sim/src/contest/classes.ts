import type { WorkloadName } from "../workload/catalog.ts";

/**
 * Workload classes of the contest: load with a calendar or an announcement, where a forecast can
 * know the future, and unannounced bursts, where it cannot.
 */
export const WORKLOAD_CLASS: Readonly<Record<WorkloadName, "predictable" | "burst">> = {
  "dos-traces": "predictable",
  diurnal: "predictable",
  "zipf-drift": "predictable",
  "flash-crowd": "predictable",
  ramp: "predictable",
  flat: "predictable",
  "nab-tweets": "burst",
  tenants: "burst",
};

/** Workloads whose clients announce load (hints): reported apart, since that is not forecasting. */
export const HINTED_WORKLOADS: ReadonlySet<string> = new Set(["flash-crowd"]);
