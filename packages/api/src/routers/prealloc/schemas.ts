import { z } from "zod";
import { preallocSettingsSchema } from "@shardcast/core";
import { settingsAuditEntrySchema } from "../shared.ts";

export const preallocSettingsOutput = z.object({
  settings: preallocSettingsSchema,
  defaults: preallocSettingsSchema,
  updatedAt: z.date().nullable(),
  audit: z.array(settingsAuditEntrySchema),
});

/** A pre-allocation: what was predicted, what was prepared, and whether its surge used it. */
export const preallocationSchema = z.object({
  id: z.string(),
  streamId: z.string(),
  shardletId: z.string(),
  /** open (being prepared or waiting for its surge), hit, released (wasted, merged back) or failed. */
  state: z.enum(["preparing", "prepared", "hit", "released", "failed"]),
  probability: z.number(),
  cause: z.string().nullable(),
  parts: z.array(z.string()),
  hotPartId: z.string().nullable(),
  reason: z.string(),
  message: z.string(),
  startedAt: z.date(),
  releaseAtMs: z.number(),
});

/** The cost model's verdict on one candidate of the latest run (core's PreallocDecision). */
export const preallocDecisionSchema = z.object({
  shardletId: z.string(),
  prepare: z.boolean(),
  action: z.string(),
  /** Where the part moves (runs before moves were made have none). */
  destinationId: z.string().nullable().default(null),
  probability: z.number(),
  fallbacksIfReactive: z.number(),
  fallbacksWhilePreparing: z.number(),
  expectedFallbacksSaved: z.number(),
  expectedLatencySavedMs: z.number(),
  cost: z.number(),
  bytesCopied: z.number(),
  lockSec: z.number(),
  prepareSec: z.number(),
  reason: z.string(),
});

const trainingQuality = z.object({ precision: z.number().nullable(), recall: z.number().nullable(), alerts: z.number(), onsets: z.number() });

/** The latest training of the cold-start model on stored history, per stream. */
export const preallocTrainingSchema = z.object({
  at: z.date(),
  actor: z.string().nullable(),
  durationMs: z.number().nullable(),
  streams: z.array(
    z.object({
      streamId: z.string(),
      stream: z.string(),
      events: z.number(),
      outcome: z.enum(["installed", "kept", "worse", "skipped"]),
      note: z.string(),
      version: z.number().nullable(),
      /** The trained model on the held-out last quarter of history, and the type-blind rate model there. */
      heldOut: trainingQuality.nullable(),
      baseline: trainingQuality.nullable(),
    }),
  ),
});

export const preallocOverviewOutput = z.object({
  aggressiveness: z.number(),
  preallocations: z.array(preallocationSchema),
  outcomes: z.object({ hit: z.number(), released: z.number(), failed: z.number(), open: z.number() }),
  /** Pre-allocations never used (released) over those settled. */
  wastedShare: z.number().nullable(),
  defaultModel: preallocTrainingSchema.nullable(),
  latestRun: z
    .object({
      at: z.date(),
      decisions: z.array(preallocDecisionSchema),
      modelVersion: z.number().nullable(),
      /** The edge model's precision and recall as it published them. */
      precision: z.number().nullable(),
      recall: z.number().nullable(),
      /** The skill gate's verdict for each stream the run weighed (streams with a candidate to prepare). */
      gates: z.array(z.object({ streamId: z.string(), open: z.boolean(), settled: z.number(), hits: z.number(), saved: z.number(), cost: z.number(), reason: z.string() })),
    })
    .nullable(),
});
