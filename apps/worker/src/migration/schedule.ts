import { checkWindow, type MigrationPhase } from "@shardcast/core";

/** What the scheduler knows about a migration it may hand to the mover. */
export interface SchedulableMigration {
  phase: MigrationPhase;
  windowStart: Date | null;
  windowEnd: Date | null;
  cancelRequested: boolean;
}

/**
 * Whether a run of the migration has work now: approved ones and scheduled ones whose window has
 * opened start; running ones resume, except a copy or verification paused outside its window
 * (unless a cancel waits to be carried out, or the window is over and the run must give it up).
 * Pure: the scheduler also checks that no run holds the migration.
 */
export function migrationDue(m: SchedulableMigration, now: number): boolean {
  const window = checkWindow(now, { start: m.windowStart?.getTime() ?? null, end: m.windowEnd?.getTime() ?? null });
  switch (m.phase) {
    case "approved":
    case "scheduled":
    case "copying":
    case "verifying":
      return m.cancelRequested || window.state !== "before";
    case "switching":
    case "cleanup":
      return true;
    default:
      return false;
  }
}
