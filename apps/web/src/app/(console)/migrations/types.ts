import type { inferRouterOutputs } from "@trpc/server";
import type { AppRouter } from "@shardcast/api";

type Out = inferRouterOutputs<AppRouter>["migrations"];

export type Migration = Out["list"]["items"][number];
export type MigrationDetail = Out["get"];
export type Planner = Out["planner"];

/** The phases a migration that runs goes through, in order (DESIGN.md, "Zero-downtime migration"). */
export const RUN_STEPS = ["approved", "copying", "verifying", "switching", "cleanup", "done"] as const;

/** A hand-off's phases: it starts and ends in one step (no copy, verify or cleanup). */
export const HANDOFF_STEPS = ["approved", "done"] as const;

export const RUNNING_PHASES = new Set(["copying", "verifying", "switching", "cleanup"]);
export const CANCELLABLE_PHASES = new Set(["proposed", "approved", "scheduled", "copying", "verifying"]);

/** "1.5k/s" rows or events per second. */
export function perSecond(n: number, unit: string): string {
  if (n >= 1000) return `${(n / 1000).toFixed(1)}k ${unit}/s`;
  return `${n >= 10 ? Math.round(n) : n.toFixed(1)} ${unit}/s`;
}
