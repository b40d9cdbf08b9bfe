import { z } from "zod";

const HOUR = 3_600;

/**
 * How storage hosts keep events in time partitions. Stored in the control database's settings
 * under `retention` and read by the `retention.enforce` job on every run, so a change applies at
 * its next run (partitions already created keep their bounds; new ones take the new span).
 */
export const retentionSettingsSchema = z.object({
  /** Drop expired partitions. Partitions are still created ahead when off, so writes never wait for one. */
  enabled: z.boolean().default(true),
  /**
   * Seconds of stored time one partition holds. A partition is dropped once its newest possible
   * row has expired, so a host keeps up to one span beyond the longest retention of its streams;
   * every read by position visits each partition's index, so more partitions cost read planning.
   * Six hours keeps a week's retention in about 29 partitions (4% kept beyond the week).
   */
  partitionSpanSec: z
    .number()
    .int("partition span must be a whole number of seconds")
    .min(1, "partition span must be at least 1 second")
    .max(7 * 24 * HOUR, "partition span must be at most 7 days")
    .default(6 * HOUR),
  /** Partitions created ahead of the current one, so writers rarely create one themselves. */
  partitionsAhead: z.number().int("partitions ahead must be a whole number").min(1, "partitions ahead must be at least 1").max(48, "partitions ahead must be at most 48").default(2),
  /** Most partitions one run drops per host (the rest wait for the next run). */
  maxDropsPerRun: z.number().int("drops per run must be a whole number").min(1, "drops per run must be at least 1").max(1_000, "drops per run must be at most 1,000").default(16),
});

export type RetentionSettings = z.infer<typeof retentionSettingsSchema>;

export const RETENTION_SETTINGS_KEY = "retention";

/** Settings from the stored value; missing fields take their defaults, invalid values throw. */
export function parseRetentionSettings(stored: unknown): RetentionSettings {
  return retentionSettingsSchema.parse(stored ?? {});
}

/** A stream's optional size cap as the stream APIs accept it: whole bytes, at least 1 KiB. */
export const retentionBytesSchema = z
  .number({ error: "retention bytes must be a number" })
  .int("retention bytes must be a whole number of bytes")
  .min(1024, "retention bytes must be at least 1 KiB (1024)")
  .max(Number.MAX_SAFE_INTEGER, "retention bytes is too large");

/** A stream's retention as the stream APIs accept it: hours, at least one minute, at most a year. */
export const retentionHoursSchema = z
  .number({ error: "retention must be a number of hours" })
  .min(1 / 60, "retention must be at least 1 minute (1/60 hour)")
  .max(24 * 365, "retention must be at most 8760 hours");
