import { z } from "zod";

/**
 * Knobs of the migration mover. Stored in the control database's settings under the key
 * `migration` (edited in the console, audited) and read at the start of every run, so a change
 * applies to the next chunk a migration copies after its next (re)start.
 */
export const migrationSettingsSchema = z.object({
  /** Rows read from the source and written to the destination per copy statement. */
  chunkRows: z
    .number()
    .int()
    .min(100, "copy chunks must hold at least 100 rows")
    .max(100_000, "copy chunks may hold at most 100,000 rows")
    .default(2_000),
  /** Copy budget per migration, rows/s (0 = unlimited): bounds the load a copy adds to both hosts. */
  rowsPerSecond: z
    .number()
    .int()
    .min(0, "the copy budget must be at least 0 rows/s (0 = unlimited)")
    .max(10_000_000, "the copy budget may be at most 10,000,000 rows/s")
    .default(20_000),
  /** Rows per sequence range whose count and checksum are compared between source and destination. */
  verifyRangeRows: z
    .number()
    .int()
    .min(100, "verify ranges must hold at least 100 rows")
    .max(1_000_000, "verify ranges may hold at most 1,000,000 rows")
    .default(10_000),
  /**
   * Verification repeats over what arrived during the previous round until a round covers at most
   * this many rows: that tail is what the switch re-checks while the shardlet is locked.
   */
  switchTailRows: z
    .number()
    .int()
    .min(0, "the switch tail must be at least 0 rows")
    .max(1_000_000, "the switch tail may be at most 1,000,000 rows")
    .default(1_000),
  /** Most verification rounds before switching anyway (the switch checks the rest under the lock). */
  maxVerifyRounds: z.number().int().min(1, "at least 1 verify round").max(100, "at most 100 verify rounds").default(8),
  /**
   * After the switch the source keeps its rows this long before they are deleted, so readers whose
   * routes are older than the switch still find them.
   */
  cleanupGraceMs: z
    .number()
    .int()
    .min(0, "the cleanup grace must be at least 0 ms")
    .max(24 * 3_600_000, "the cleanup grace may be at most 24 h")
    .default(30_000),
  /**
   * Deletion budget of the cleanup (and of a cancel), rows/s (0 = unlimited): deleting a row costs
   * far less than copying it, but a cleanup of a large range must not starve ingest either.
   */
  cleanupRowsPerSecond: z
    .number()
    .int()
    .min(0, "the cleanup budget must be at least 0 rows/s (0 = unlimited)")
    .max(10_000_000, "the cleanup budget may be at most 10,000,000 rows/s")
    .default(50_000),
  /** Source rows deleted per statement in cleanup (and destination rows on cancel). */
  cleanupChunkRows: z
    .number()
    .int()
    .min(100, "cleanup chunks must hold at least 100 rows")
    .max(100_000, "cleanup chunks may hold at most 100,000 rows")
    .default(5_000),
  /** Write a progress line to the migration's event log every this many copy chunks. */
  progressEveryChunks: z.number().int().min(1).max(10_000).default(10),
  /**
   * Runs (worker attempts) after which a migration that has not switched yet is given up: it ends
   * as failed with the destination cleaned. After the switch a migration only goes forward.
   */
  maxAttempts: z.number().int().min(1, "at least 1 attempt").max(1_000, "at most 1,000 attempts").default(50),
});

export type MigrationSettings = z.infer<typeof migrationSettingsSchema>;

export const MIGRATION_SETTINGS_KEY = "migration";

export const MIGRATION_SETTINGS_DEFAULTS: MigrationSettings = migrationSettingsSchema.parse({});

/** Settings from the stored value; missing fields take their defaults, invalid values throw. */
export function parseMigrationSettings(stored: unknown): MigrationSettings {
  return migrationSettingsSchema.parse(stored ?? {});
}
