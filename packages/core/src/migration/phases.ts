/**
 * The phases of a shardlet migration (DESIGN.md, "Zero-downtime migration"). The control database
 * persists the phase before each step runs, so a restarted worker resumes where it stopped.
 */
export const MIGRATION_PHASES = [
  "proposed",
  "approved",
  "scheduled",
  "copying",
  "verifying",
  "switching",
  "cleanup",
  "done",
  "failed",
  "cancelled",
  "rejected",
] as const;

export type MigrationPhase = (typeof MIGRATION_PHASES)[number];

export type MigrationOrigin = "rebalancer" | "analyzer" | "orchestrator" | "manual" | "drain" | "prealloc" | "placement";

/**
 * How a migration moves a shardlet. `handoff` moves its write load: the shardlet is sealed where it
 * is (its history stays readable there until retention drops it) and a successor with the same
 * range opens on the destination, in seconds and without copying a row. `copy` moves its history
 * too (shadow writes, chunked copy, verify, switch): for balancing storage, retiring a host before
 * its data expires, or reads that want the whole range in one place.
 */
export const MOVE_MODES = ["handoff", "copy"] as const;
export type MoveMode = (typeof MOVE_MODES)[number];

/**
 * The mode a planner's move takes when it does not say: load moves hand off, the read-placement
 * job (which moves a range for its readers, who want its history beside them) copies.
 */
export function defaultMoveMode(origin: MigrationOrigin): MoveMode {
  return origin === "placement" ? "copy" : "handoff";
}

export const TERMINAL_MIGRATION_PHASES: ReadonlySet<MigrationPhase> = new Set(["done", "failed", "cancelled", "rejected"]);

/** Phases in which the mover is (or should be) working on the migration. */
export const RUNNING_MIGRATION_PHASES: ReadonlySet<MigrationPhase> = new Set(["copying", "verifying", "switching", "cleanup"]);

/** Before the switch a cancel returns everything to the start state; from `switching` on it cannot. */
export const CANCELLABLE_MIGRATION_PHASES: ReadonlySet<MigrationPhase> = new Set(["proposed", "approved", "scheduled", "copying", "verifying"]);

const NEXT: Record<MigrationPhase, readonly MigrationPhase[]> = {
  proposed: ["approved", "scheduled", "rejected", "cancelled"],
  // A hand-off goes from its start to done in one step (no copy, nothing to clean).
  approved: ["copying", "scheduled", "cancelled", "failed", "done"],
  scheduled: ["approved", "copying", "cancelled", "failed", "done"],
  copying: ["verifying", "cancelled", "failed"],
  // Verification that finds differences re-copies them and verifies again (it stays in verifying).
  verifying: ["switching", "cancelled", "failed"],
  switching: ["cleanup", "failed"],
  cleanup: ["done"],
  done: [],
  failed: [],
  cancelled: [],
  rejected: [],
};

export function isMigrationPhase(value: string): value is MigrationPhase {
  return (MIGRATION_PHASES as readonly string[]).includes(value);
}

export function canMoveMigration(from: MigrationPhase, to: MigrationPhase): boolean {
  return NEXT[from].includes(to);
}

export function isTerminalMigrationPhase(phase: MigrationPhase): boolean {
  return TERMINAL_MIGRATION_PHASES.has(phase);
}
