import type { MigrationPhase } from "@shardcast/core";
import type { MigrationRun } from "@shardcast/db";

/**
 * Points inside the mover's phases after which a test hook may stop the run (as a crash would):
 * each follows one persisted write, so together they cover every boundary a restarted worker can
 * resume from.
 */
export const MIGRATION_STEPS = [
  /** approved/scheduled: the control transaction that starts the copy (phase copying, epoch raised). */
  "start.control",
  /** copying/verifying: the destination's shadow fence and the source's raised fence are in place. */
  "copy.fences",
  /** copying: one chunk copied and its progress persisted. */
  "copy.chunk",
  /** verifying: one verification round done and the verified sequence persisted. */
  "verify.round",
  /** switching: the source's fence raised to the switch epoch (writes to it stop). */
  "switch.source-fenced",
  /** switching: the tail copied and the two copies found equal. */
  "switch.tail",
  /** switching: the destination's fence active at the switch epoch, its totals set. */
  "switch.dest-active",
  /** switching -> cleanup: the mapping switched in the control database. */
  "switch.mapped",
  /** switching (now cleanup): the overflow log drained into the destination, after the lock was let go. */
  "switch.drained",
  /** cleanup: the source's rows of the range deleted. */
  "cleanup.rows",
  /** cleanup: the source's fence and totals dropped. */
  "cleanup.fence",
  /** cancel: the destination's fence removed (shadow writes and copies stop). */
  "cancel.dest-fence",
  /** cancel: the destination's rows of the range deleted. */
  "cancel.rows",
] as const;

export type MigrationStep = (typeof MIGRATION_STEPS)[number];

/** Test hooks: a hook that throws stops the run there, as a crash would. */
export interface MigrationHooks {
  /** Right after `phase` was persisted, before its work starts. */
  afterPhase?: (phase: MigrationPhase, m: MigrationRun) => void | Promise<void>;
  /** Right after a step's write (see MIGRATION_STEPS). */
  afterStep?: (step: MigrationStep, m: MigrationRun) => void | Promise<void>;
}

export interface MigrationOptions {
  hooks?: MigrationHooks;
  /**
   * The stream's read watermark (no event can later appear at or below it). Verification compares
   * sequence ranges below it, which no write in flight can still change. Without it, verification
   * uses the source's highest sequence and the switch's full count check catches late rows.
   */
  watermark?: (streamId: string) => Promise<number>;
  /** Waits up to this long happen inside a run (cleanup grace); longer ones end the run as paused. Default 60 s. */
  maxInlineWaitMs?: number;
  /** Host errors retried inside a run, with backoff, before the run fails to the job's retry. Default 5. */
  hostRetries?: number;
  /** First backoff of those retries (doubles each time, at most 4 s). Default 250 ms. */
  hostRetryDelayMs?: number;
  /** How long a lifecycle job or another op-lock holder is waited for before the run pauses. Default 2 s. */
  lockRetryMs?: number;
  /**
   * How long one destination operation may take, retries included, when the migration is being
   * given up: past it the destination counts as unreachable and its partial copy is left for
   * later. Default 30 s.
   */
  destinationTimeoutMs?: number;
}
