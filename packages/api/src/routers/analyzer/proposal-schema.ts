import { z } from "zod";
import { rangeSchema } from "../shared.ts";

/** The capacity plan's figures on an add_host proposal: how many, when needed, when to ask, the lead. */
export const addHostPlanSchema = z.object({
  kind: z.literal("add_host"),
  count: z.number(),
  needByMs: z.number(),
  startByMs: z.number(),
  leadSec: z.number(),
  fillBytes: z.number(),
  late: z.boolean(),
  peak: z.number().nullable(),
});

/** The capacity plan's figures on a drain_host proposal: the bytes to move, the trough and the saving. */
export const drainHostPlanSchema = z.object({
  kind: z.literal("drain_host"),
  hostId: z.string(),
  bytes: z.number(),
  drainSec: z.number(),
  troughEndsMs: z.number(),
  savingSec: z.number(),
});

export const capacityProposalPlanSchema = z.discriminatedUnion("kind", [addHostPlanSchema, drainHostPlanSchema]);
export type CapacityProposalPlan = z.infer<typeof capacityProposalPlanSchema>;

/** An analyzer proposal as the console shows it (ids with their names). */
export const proposalSchema = z.object({
  id: z.string(),
  /** The analyzer run; null for the orchestrator's proposals. */
  runId: z.string().nullable(),
  /** analyzer: forecast-driven; orchestrator: driven by the data profiler's health scores. */
  source: z.enum(["analyzer", "orchestrator"]),
  kind: z.enum(["split", "migrate", "add_host", "drain_host"]),
  status: z.enum(["open", "applied", "dismissed", "superseded"]),
  streamId: z.string().nullable(),
  streamName: z.string().nullable(),
  shardletId: z.string().nullable(),
  range: rangeSchema.nullable(),
  sourceHostId: z.string().nullable(),
  sourceHostName: z.string().nullable(),
  destHostId: z.string().nullable(),
  destHostName: z.string().nullable(),
  /** Seconds until the predicted overload, counted from the run's forecast start. */
  urgencySec: z.number().nullable(),
  expectedBenefit: z.number(),
  reason: z.string(),
  /** Forecast facts: predicted peak, expected loads, feasibility, cluster forecast (add_host). */
  details: z.record(z.string(), z.unknown()).nullable(),
  /** Outcome of an approved add-host: queued, succeeded (with the host) or failed (with why). */
  provision: z.record(z.string(), z.unknown()).nullable(),
  /** add_host / drain_host: the capacity plan's figures; null for other kinds and older proposals. */
  plan: capacityProposalPlanSchema.nullable(),
  migrationId: z.string().nullable(),
  createdAt: z.date(),
  decidedBy: z.string().nullable(),
  decidedAt: z.date().nullable(),
});
export type ProposalView = z.infer<typeof proposalSchema>;

export const runSummarySchema = z.object({
  id: z.string(),
  at: z.date(),
  model: z.string(),
  bucketSec: z.number(),
  horizonSec: z.number(),
});
