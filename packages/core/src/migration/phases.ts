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

export const TERMINAL_MIGRATION_PHASES: ReadonlySet<MigrationPhase> = new Set(["done", "failed", "cancelled", "rejected"]);

/** Phases in which the mover is (or should be) working on the migration. */
export const RUNNING_MIGRATION_PHASES: ReadonlySet<MigrationPhase> = new Set(["copying", "verifying", "switching", "cleanup"]);

/** Before the switch a cancel returns everything to the start state; from `switching` on it cannot. */
export const CANCELLABLE_MIGRATION_PHASES: ReadonlySet<MigrationPhase> = new Set(["proposed", "approved", "scheduled", "copying", "verifying"]);

const NEXT: Record<MigrationPhase, readonly MigrationPhase[]> = {
  proposed: ["approved", "scheduled", "rejected", "cancelled"],
  approved: ["copying", "scheduled", "cancelled", "failed"],
  scheduled: ["approved", "copying", "cancelled", "failed"],
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
