import { z } from "zod";

/** The checkpoint job's default period (the worker's `SHARDCAST_CHECKPOINT_EVERY_MS`), in seconds. */
export const CHECKPOINT_EVERY_SEC = 5;

/**
 * The default look-ahead: one run of the checkpoint job. The checkpoint that keeps the replay
 * under the threshold is the last one before the replay would pass it, and the decision is taken
 * again one period later, so looking further ahead only checkpoints earlier: replayed over the
 * shipped traces (the `consumers` bench), a minute's look-ahead made 2.5 times the checkpoints of
 * the best fixed interval, one period about half of them, within the same replay bound.
 */
export const DEFAULT_PREDICTION_HORIZON_SEC = CHECKPOINT_EVERY_SEC;

/**
 * Consumer-group and checkpoint settings, stored under `consumers` in the control database's
 * settings (edited on the console's Settings page, audited). The checkpoint job and the edges read
 * them on every run, so a change applies without a restart.
 */
export const consumerSettingsSchema = z
  .object({
    /** `predictive` (seed 004): checkpoint when the predicted replay passes the threshold; `fixed`: every `fixedIntervalSec`, for comparison. */
    checkpointMode: z.enum(["predictive", "fixed"]).default("predictive"),
    /** Predicted replay, in seconds, that triggers a checkpoint. */
    checkpointThresholdSec: z.number().min(0.1, "checkpoint threshold must be at least 0.1 s").max(86_400, "checkpoint threshold must be at most 86400 s").default(30),
    /** How far ahead the arrival rate is forecast (a longer look-ahead checkpoints earlier, for margin). */
    predictionHorizonSec: z
      .number()
      .min(1, "prediction horizon must be at least 1 s")
      .max(86_400, "prediction horizon must be at most 86400 s")
      .default(DEFAULT_PREDICTION_HORIZON_SEC),
    /** Replay (seconds) that is never allowed to build up, in either mode. */
    maxReplaySec: z.number().min(0.1, "maximum replay must be at least 0.1 s").max(86_400, "maximum replay must be at most 86400 s").default(120),
    /** Checkpoint period in `fixed` mode. */
    fixedIntervalSec: z.number().min(1, "fixed interval must be at least 1 s").max(86_400, "fixed interval must be at most 86400 s").default(30),
    /** Per-event processing time assumed until a group has reported its own. */
    defaultReplayMsPerEvent: z.number().min(0.001, "default replay time must be at least 0.001 ms").max(60_000, "default replay time must be at most 60000 ms").default(1),
    /** A member that has not polled or heartbeated for this long loses its shardlets (a join may ask for its own). */
    sessionTimeoutMs: z.number().int().min(3_000, "session timeout must be at least 3000 ms").max(300_000, "session timeout must be at most 300000 ms").default(15_000),
    /** A shardlet moving between two live members waits at most this long for its holder's next poll. */
    handoffTimeoutMs: z.number().int().min(100, "hand-off timeout must be at least 100 ms").max(60_000, "hand-off timeout must be at most 60000 ms").default(3_000),
    /**
     * `throughput`: members are weighed by how fast their handlers process (SDK telemetry), a slower
     * member getting a smaller share; `equal`: every member weighs the same (balanced by load alone).
     */
    memberWeighting: z.enum(["throughput", "equal"]).default("throughput"),
  })
  .refine((s) => s.maxReplaySec >= s.checkpointThresholdSec, {
    message: "maximum replay must be at least the checkpoint threshold",
    path: ["maxReplaySec"],
  });

export type ConsumerSettings = z.infer<typeof consumerSettingsSchema>;

export const CONSUMER_SETTINGS_KEY = "consumers";

/** Settings from the stored value; missing fields take their defaults, invalid values throw. */
export function parseConsumerSettings(stored: unknown): ConsumerSettings {
  return consumerSettingsSchema.parse(stored ?? {});
}
