import { z } from "zod";

const MIB = 1024 * 1024;

/**
 * Settings of the capacity planner (predictive elasticity). Stored in the control database under
 * the key `capacity` (admins edit them in the console, audited); the simulator passes them
 * directly. The planner only proposes: a cluster acts on its plans when the operator approves them
 * or sets `mode` to `act`.
 */
export const capacitySettingsSchema = z
  .object({
    /** Plan hosts at all (the scale-out signal of the analyzer stays either way). */
    enabled: z.boolean().default(true),
    /** `forecast_only` proposes and shows the plan; `act` provisions and drains hosts on its own. */
    mode: z.enum(["forecast_only", "act"]).default("forecast_only"),
    /** Never plan fewer active hosts than this. */
    minHosts: z.number().int().min(1, "at least one host").max(10_000).default(1),
    /** Never plan more hosts than this (provisioning stops here; the plan says the forecast needs more). */
    maxHosts: z.number().int().min(1, "at least one host").max(10_000).default(64),
    /**
     * Hosts are planned so the forecast cluster load is at most this fraction of their capacity:
     * the rest is headroom for forecast error, imbalance between hosts and copies in flight.
     */
    targetUtilization: z.number().min(0.2, "target utilisation must be at least 0.2").max(1, "target utilisation must be at most 1").default(0.75),
    /**
     * A host is drained only when the remaining hosts stay at or below this fraction of their
     * capacity for the whole time the host would be gone (lower than the target: hysteresis).
     */
    scaleInUtilization: z.number().min(0.1).max(1).default(0.65),
    /** Seconds from asking for a host until it is registered and can take shardlets. */
    provisionSec: z.number().int().min(0).max(7 * 86_400).default(300),
    /** Copy budget of one migration (bytes/s): fill and drain times follow from it. */
    copyBytesPerSec: z.number().min(1024, "copy budget must be at least 1 KiB/s").max(10 * 1024 * MIB).default(20 * MIB),
    /** Migrations one host takes part in at once. */
    movesPerHost: z.number().int().min(1).max(64).default(2),
    /** Fixed cost of one migration (setup, verify, switch), seconds. */
    moveSetupSec: z.number().min(0).max(3_600).default(30),
    /** Extra lead on top of provisioning and copy time, so a host is ready a little before it is needed. */
    marginSec: z.number().int().min(0).max(86_400).default(600),
    /** A host added by the planner is not drained before this many seconds (no flapping). */
    minHostLifetimeSec: z.number().int().min(0).max(30 * 86_400).default(3_600),
    /**
     * A drain must save at least this many host-seconds (the trough, minus the drain's own copy
     * time and the lead of adding the host back) to be worth the bytes it moves.
     */
    minScaleInSavingSec: z.number().int().min(0).max(30 * 86_400).default(3_600),
    /**
     * Hosts are planned for the forecast times how far the load has run above its forecasts at
     * this quantile of recent steps (0: the forecast itself). Regular load barely moves it; bursty
     * load no forecast sees gets the headroom its misses call for.
     */
    forecastQuantile: z.number().min(0).max(0.999, "the forecast quantile must be below 1").default(0.9),
    /**
     * The upper band (the forecast times that quantile) is planned at this utilisation, the point
     * forecast at the target: the target's own headroom already absorbs misses up to this over
     * the target, so the band buys hosts only for the misses beyond it. At or below the target
     * (the default 0): the band is planned at the target, which buys regular load with small misses a
     * host it rarely needs.
     */
    bandUtilization: z.number().min(0).max(1).default(0),
  })
  .refine((s) => s.maxHosts >= s.minHosts, { message: "maximum hosts must be at least the minimum", path: ["maxHosts"] })
  .refine((s) => s.scaleInUtilization <= s.targetUtilization, { message: "scale-in utilisation must not exceed the target utilisation", path: ["scaleInUtilization"] });

export type CapacitySettings = z.infer<typeof capacitySettingsSchema>;

export const CAPACITY_SETTINGS_KEY = "capacity";

/** Settings from the stored value; missing fields take their defaults, invalid values throw. */
export function parseCapacitySettings(stored: unknown): CapacitySettings {
  return capacitySettingsSchema.parse(stored ?? {});
}
