import { z } from "zod";

const KIB = 1024;
const MIB = 1024 * KIB;

/**
 * Thresholds of the shardlet manager. Stored in the control database's settings under the key
 * `lifecycle` (edited in the console, audited) and read by the worker on every scan, so a change
 * applies without a restart.
 */
export const lifecycleSettingsSchema = z
  .object({
    /** Run splits and merges automatically. Manual actions work either way. */
    enabled: z.boolean().default(true),
    /** Capacity given to new shardlets (streams created later and split/merge results). */
    initialCapacityBytes: z
      .number()
      .min(4 * KIB, "initial capacity must be at least 4 KiB")
      .max(1024 * MIB, "initial capacity must be at most 1 GiB")
      .int("initial capacity must be a whole number of bytes")
      .default(10 * MIB),
    /** Split when size / capacity passes this. */
    splitThreshold: z.number().min(0.1, "split threshold must be at least 0.1").max(0.99, "split threshold must be at most 0.99").default(0.8),
    /** Split when the write rate (events/s) passes this, whatever the size. */
    splitWriteRate: z.number().min(1, "split write rate must be at least 1 event/s").max(1e7, "split write rate must be at most 10,000,000 events/s").default(5000),
    /** Merge two adjacent siblings when each is below this fullness and below `mergeWriteRate`... */
    mergeThreshold: z.number().min(0, "merge threshold must be at least 0").max(0.5, "merge threshold must be at most 0.5").default(0.2),
    /** ...and each writes fewer events/s than this. */
    mergeWriteRate: z.number().min(0, "merge write rate must be at least 0 events/s").max(1e6, "merge write rate must be at most 1,000,000 events/s").default(10),
    /** Never create a shardlet narrower than this many hashes. */
    minShardletWidth: z
      .number()
      .min(1, "minimum shardlet width must be at least 1 hash")
      .max(2 ** 31, "minimum shardlet width must be at most 2,147,483,648 hashes")
      .int("minimum shardlet width must be a whole number of hashes")
      .default(2 ** 16),
    /** Stop splitting a stream at this many live shardlets. */
    maxShardletsPerStream: z
      .number()
      .min(1, "shardlets per stream must be at least 1")
      .max(100_000, "shardlets per stream must be at most 100,000")
      .int("shardlets per stream must be a whole number")
      .default(4096),
  })
  .refine((s) => s.mergeThreshold * 2 < s.splitThreshold, {
    message: "merge threshold must be less than half the split threshold, or a merge would be split again at once",
    path: ["mergeThreshold"],
  });

export type LifecycleSettings = z.infer<typeof lifecycleSettingsSchema>;

export const LIFECYCLE_SETTINGS_KEY = "lifecycle";

/** Settings from the stored value; missing fields take their defaults, invalid values throw. */
export function parseLifecycleSettings(stored: unknown): LifecycleSettings {
  return lifecycleSettingsSchema.parse(stored ?? {});
}
