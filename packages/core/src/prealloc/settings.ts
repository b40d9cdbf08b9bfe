import { z } from "zod";
import type { ContentModelConfig } from "./model-types.ts";

/**
 * Settings of predictive pre-allocation. Stored in the control database under the key `prealloc`
 * (admins edit them in the console, audited). `aggressiveness` 0 keeps today's behaviour: the
 * edge's content model still learns and reports its predictions, but nothing is prepared and the
 * reactive lifecycle manager is the only one that splits.
 */
export const preallocSettingsSchema = z
  .object({
    /**
     * 0 = off (reactive only). Higher values accept candidates with a lower probability and a
     * smaller benefit-to-cost ratio: 0.5 prepares when the expected saving equals the cost, 1
     * prepares whenever the model's probability passes its floor.
     */
    aggressiveness: z.number().min(0).max(1).default(0),
    /** How far ahead a surge is predicted (and how long a prepared shardlet waits for it). */
    horizonSec: z.number().int().min(5).max(3_600).default(120),
    /** Seconds after the horizon a prepared shardlet that saw no surge is kept before it is merged back. */
    graceSec: z.number().int().min(0).max(86_400).default(120),
    /** A step's writes count as a surge at this multiple of the shardlet's usual writes per step. */
    surgeFactor: z.number().min(1.5).max(1_000).default(5),
    /** ... and at least this many events in the step (a quiet shardlet's 0 -> 3 is no surge). */
    minSurgeEvents: z.number().int().min(1).max(1_000_000).default(50),
    /** Step of the surge detector, seconds. */
    stepSec: z.number().int().min(1).max(300).default(5),
    /** Lowest probability a candidate is ever prepared at (scaled up as aggressiveness goes down). */
    minProbability: z.number().min(0.01).max(1).default(0.3),
    /** Pre-allocations prepared at once, cluster-wide (each holds an op-lock while it is prepared). */
    maxConcurrent: z.number().int().min(1).max(64).default(2),
  })
  .refine((s) => s.graceSec + s.horizonSec >= s.stepSec, { message: "horizon plus grace must cover one step", path: ["graceSec"] });

export type PreallocSettings = z.infer<typeof preallocSettingsSchema>;

export const PREALLOC_SETTINGS_KEY = "prealloc";

/** Settings from the stored value; missing fields take their defaults, invalid values throw. */
export function parsePreallocSettings(stored: unknown): PreallocSettings {
  return preallocSettingsSchema.parse(stored ?? {});
}

/**
 * What of the settings the edges' content model is built with. The worker converts the rates the
 * edges publish per step with the same `stepSec`, so both sides read it from one place.
 */
export function preallocModelConfig(s: PreallocSettings): Pick<ContentModelConfig, "stepMs" | "horizonMs" | "surgeFactor" | "minSurgeEvents"> {
  return { stepMs: s.stepSec * 1000, horizonMs: s.horizonSec * 1000, surgeFactor: s.surgeFactor, minSurgeEvents: s.minSurgeEvents };
}
