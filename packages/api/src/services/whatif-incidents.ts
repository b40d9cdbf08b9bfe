import { largestIncidents, violationIncidents, type Comparison } from "@shardcast/sim";
import type { WhatIfIncident } from "../routers/whatif/schemas.ts";

/** Incidents per policy in the what-if's answer: enough to see where its minutes come from. */
export const WHATIF_INCIDENTS = 5;

/** Each policy's largest incidents, in time order per policy, on the what-if's time axis (`origin` is its zero). */
export function incidentRows(c: Comparison, origin: number): WhatIfIncident[] {
  return c.runs.flatMap((r) =>
    largestIncidents(violationIncidents(r), WHATIF_INCIDENTS).map((x) => ({
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
