import { largestIncidents, type Comparison } from "@shardcast/sim";

/** Incidents per policy in the what-if's answer: enough to see where its minutes come from. */
export const WHATIF_INCIDENTS = 5;

export interface IncidentRow {
  policy: string;
  /** Epoch ms (or ms into the trace) of the first and past the last tick over capacity. */
  from: number;
  to: number;
  violationMinutes: number;
  servingAtStart: number;
  paidAtStart: number;
  /** Hosts the capacity plan wanted at the start; null for a policy without a plan. */
  plannedAtStart: number | null;
  servingMax: number;
  hottestUtil: number;
  /** Mean utilisation of the serving hosts when the hottest one peaked. */
  meanUtilThen: number;
  /** Hosts asked for during the incident or in the six hours before it. */
  hostsAsked: number;
}

/** Each policy's largest incidents, in time order per policy. */
export function incidentRows(c: Comparison, origin: number): IncidentRow[] {
  return c.runs.flatMap((r) =>
    largestIncidents(r, WHATIF_INCIDENTS).map((x) => ({
      policy: r.policy,
      from: origin + x.fromTick * r.tickMs,
      to: origin + (x.toTick + 1) * r.tickMs,
      violationMinutes: x.violationMinutes,
      servingAtStart: x.servingAtStart,
      paidAtStart: x.paidAtStart,
      plannedAtStart: x.plannedAtStart > 0 ? x.plannedAtStart : null,
      servingMax: x.servingMax,
      hottestUtil: x.hottestUtil,
      meanUtilThen: x.meanUtilThen,
      hostsAsked: x.hostEvents.filter((e) => e.kind === "requested").length,
    })),
  );
}
