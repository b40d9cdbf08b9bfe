import { z } from "zod";

/** Fields of the what-if form: each is optional; left out, the stored setting applies. */
export const whatIfDraftInput = z.object({
  /** `auto`: the last day of telemetry when there is enough, else the shipped trace. */
  source: z.enum(["auto", "telemetry", "trace"]).default("auto"),
  lifecycle: z
    .object({
      splitThreshold: z.number().optional(),
      splitWriteRate: z.number().optional(),
      mergeThreshold: z.number().optional(),
      mergeWriteRate: z.number().optional(),
    })
    .strict()
    .optional(),
  rebalance: z
    .object({
      tolerance: z.number().optional(),
      hysteresis: z.number().optional(),
      cooldownSec: z.number().int().optional(),
      maxProposalsPerRun: z.number().int().optional(),
      minBenefitPerMB: z.number().optional(),
      /** Replay with moves by hand-off or by copy (the rebalance settings' `moveMode`). */
      moveMode: z.enum(["handoff", "copy"]).optional(),
    })
    .strict()
    .optional(),
  analyzer: z
    .object({
      hostLoadBound: z.number().optional(),
      overloadFraction: z.number().optional(),
      minMoveBenefit: z.number().optional(),
      horizonSec: z.number().int().optional(),
      /** Bytes/s one migration copies: how long a move takes, hence how far ahead prediction must act. */
      copyBytesPerSec: z.number().optional(),
    })
    .strict()
    .optional(),
});

/** The form's fields with their current (stored) values. */
export const whatIfFieldsSchema = z.object({
  lifecycle: z.object({ splitThreshold: z.number(), splitWriteRate: z.number(), mergeThreshold: z.number(), mergeWriteRate: z.number() }),
  rebalance: z.object({ tolerance: z.number(), hysteresis: z.number(), cooldownSec: z.number(), maxProposalsPerRun: z.number(), minBenefitPerMB: z.number() }),
  analyzer: z.object({ hostLoadBound: z.number(), overloadFraction: z.number(), minMoveBenefit: z.number(), horizonSec: z.number(), copyBytesPerSec: z.number() }),
});
export type WhatIfFields = z.infer<typeof whatIfFieldsSchema>;

export const policyMetricsSchema = z.object({
  violationMinutes: z.number(),
  overloadHostMinutes: z.number(),
  maxMeanMedian: z.number(),
  maxMeanP99: z.number(),
  maxUtilP99: z.number(),
  p99LatencyMs: z.number(),
  p50LatencyMs: z.number(),
  bytesMoved: z.number(),
  migrations: z.number(),
  splits: z.number(),
  merges: z.number(),
  fallbackEvents: z.number(),
  fallbackShare: z.number(),
  events: z.number(),
  deferredMoves: z.number(),
  refusedSplits: z.number(),
  scaleSignals: z.number(),
  /** Hours of every paid host (provisioning, active, draining) over the measured time: the cost. */
  hostHours: z.number(),
  hostsAdded: z.number(),
  hostsRemoved: z.number(),
  hostsMin: z.number(),
  hostsMax: z.number(),
  shardletsEnd: z.number(),
  shardletsMax: z.number(),
  measuredMinutes: z.number(),
});

export const whatIfSourceSchema = z.object({
  kind: z.enum(["telemetry", "trace"]),
  note: z.string(),
  from: z.number(),
  to: z.number(),
  resolutionSec: z.number(),
  buckets: z.number(),
  shardlets: z.number(),
  hosts: z.number(),
});

/** One of a policy's largest runs of time over capacity, with the cluster at its start. */
export const whatIfIncidentSchema = z.object({
  policy: z.string(),
  /** Epoch ms (or ms into the trace) of the first tick over capacity and of the end of the last. */
  from: z.number(),
  to: z.number(),
  violationMinutes: z.number(),
  servingAtStart: z.number(),
  paidAtStart: z.number(),
  /** Hosts the capacity plan wanted at the start (null for a policy without a plan). */
  plannedAtStart: z.number().nullable(),
  servingMax: z.number(),
  hottestUtil: z.number(),
  /** Mean utilisation of the serving hosts when the hottest one peaked. */
  meanUtilThen: z.number(),
  /** Hosts asked for during the incident or in the six hours before it. */
  hostsAsked: z.number(),
});
export type WhatIfIncident = z.infer<typeof whatIfIncidentSchema>;

export const whatIfResultSchema = z.object({
  source: whatIfSourceSchema,
  fields: whatIfFieldsSchema,
  policies: z.array(z.object({ policy: z.string(), metrics: policyMetricsSchema })),
  /** Ratios "vs reactive" are against reactive at its best-tuned settings; "_default" against the product defaults. */
  summary: z.object({
    violation_minutes_static: z.number(),
    violation_minutes_static_peak: z.number(),
    violation_minutes_reactive: z.number(),
    violation_minutes_reactive_tuned: z.number(),
    violation_minutes_predictive: z.number(),
    violation_minutes_oracle: z.number(),
    violation_reduction_vs_reactive: z.number(),
    violation_reduction_vs_reactive_default: z.number(),
    oracle_violation_reduction_vs_reactive: z.number(),
    host_hours_ratio_vs_reactive: z.number(),
    host_hours_ratio_vs_static_peak: z.number(),
    max_mean_p99_predictive: z.number(),
    /** Null when predictive moved bytes and reactive moved none (an infinite ratio). */
    bytes_moved_ratio_vs_reactive: z.number().nullable(),
  }),
  chart: z.array(z.object({ t: z.number(), values: z.record(z.string(), z.number()) })),
  /** Paid hosts per policy over time and the hosts the predictive capacity plan wanted (null without a plan). */
  hostsChart: z.array(z.object({ t: z.number(), values: z.record(z.string(), z.number()), needed: z.number().nullable(), floor: z.number() })),
  /**
   * The cost floor over the measured time: at every moment the fewest hosts the load fills to
   * capacity, with no provisioning, copy time or imbalance. No policy pays fewer host-hours
   * without minutes over capacity.
   */
  hostHoursFloor: z.number(),
  /**
   * Each policy's largest runs of time over capacity (at most five each, in time order), with the
   * cluster at their start: where a policy's minutes come from.
   */
  incidents: z.array(whatIfIncidentSchema),
  measuredFrom: z.number(),
  wallMs: z.number(),
});
