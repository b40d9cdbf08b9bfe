import { z } from "zod";
import { capacitySettingsSchema } from "@shardcast/core";
import { settingsAuditEntrySchema } from "../shared.ts";

/** One step of the plan: the load it was made for, the hosts it needs and the hosts planned. */
export const capacityStepSchema = z.object({
  atMs: z.number(),
  forecast: z.number(),
  /** Load the hosts were planned for (the forecast times its upper factor); absent in plans stored before the band existed. */
  planned: z.number().optional(),
  hostsNeeded: z.number(),
  hostsPlanned: z.number(),
  capacity: z.number(),
});

/** The host(s) to add: when they are needed, when to ask for them and why (core's ScaleOutPlan). */
export const scaleOutSchema = z.object({
  count: z.number(),
  reason: z.string(),
  needByMs: z.number(),
  startByMs: z.number(),
  leadSec: z.number(),
  fillBytes: z.number(),
  late: z.boolean(),
  peak: z.number(),
});

/** The host to drain in a trough and what it saves (core's ScaleInPlan). */
export const scaleInSchema = z.object({
  hostId: z.string(),
  /** The host's name, for the console (the id when the host is gone). */
  hostName: z.string(),
  reason: z.string(),
  bytes: z.number(),
  drainSec: z.number(),
  troughEndsMs: z.number(),
  savingSec: z.number(),
});

export const capacityPlanSchema = z.object({
  /** Step of the timeline (the analyzer's bucket), ms. */
  stepMs: z.number(),
  /** Cluster write rate observed when the plan was made (events/s). */
  observed: z.number(),
  /** Why the forecast was not trusted (the plan then follows the observed load), or null. */
  untrusted: z.string().nullable(),
  /** The mode when the plan was made (the settings may have changed since). */
  mode: z.enum(["forecast_only", "act"]),
  /** The forecast model that made the cluster forecast. */
  model: z.string(),
  /** The hosts as the plan saw them. */
  hosts: z.array(
    z.object({
      id: z.string(),
      name: z.string(),
      status: z.enum(["active", "draining", "provisioning", "down"]),
      capacityEventsPerSec: z.number(),
      sizeBytes: z.number(),
    }),
  ),
  hostsNow: z.number(),
  hostCapacity: z.number(),
  leadSec: z.number(),
  add: scaleOutSchema.nullable(),
  drain: scaleInSchema.nullable(),
  timeline: z.array(capacityStepSchema),
  notes: z.array(z.string()),
});
export type CapacityPlanView = z.infer<typeof capacityPlanSchema>;

export const capacitySettingsOutput = z.object({
  settings: capacitySettingsSchema,
  defaults: capacitySettingsSchema,
  /** Last save, or null while the defaults apply. */
  updatedAt: z.date().nullable(),
  audit: z.array(settingsAuditEntrySchema),
});
