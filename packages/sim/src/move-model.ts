import type { CapacitySettings } from "@shardcast/core";
import type { ClusterConfig } from "./cluster.ts";

/**
 * What a move of write load costs under the cluster's move model, as the engine runs it and as
 * the planners must plan it: a planner that times a copy of hours for a hand-off of seconds looks
 * hours ahead for nothing, and one that times a hand-off for a copy is late by hours.
 */

type MoveCosts = Pick<ClusterConfig, "moveModel" | "handoffSec" | "migrationSetupSec" | "migrationBytesPerSec" | "verifySpeedup">;

/** Seconds from a move's start until its load switches to the destination, for a shardlet of `bytes`. */
export function moveSeconds(cl: MoveCosts, bytes: number): number {
  if (cl.moveModel === "handoff") return cl.handoffSec;
  return cl.migrationSetupSec + bytes / cl.migrationBytesPerSec + bytes / (cl.migrationBytesPerSec * cl.verifySpeedup);
}

/** Bytes a move of a shardlet holding `sizeBytes` copies: a hand-off leaves its history where it is. */
export function bytesCopied(cl: Pick<ClusterConfig, "moveModel">, sizeBytes: number): number {
  return cl.moveModel === "handoff" ? 0 : sizeBytes;
}

/**
 * The shardlets as the move planners (rebalancer, drain) must weigh them: by the bytes a move
 * copies. Their per-MB benefit floor, bandwidth budget, migration window and destination room are
 * all about the copy; a hand-off copies nothing and lands nothing on the destination at once.
 */
export function forMoves<T extends { sizeBytes: number }>(cl: Pick<ClusterConfig, "moveModel">, shardlets: readonly T[]): readonly T[] {
  return cl.moveModel === "handoff" ? shardlets.map((s) => ({ ...s, sizeBytes: 0 })) : shardlets;
}

/**
 * The rebalancer's migration duration (a host past its limit sheds what switches soonest): setup,
 * then the copy and its verification (at `verifySpeedup` times the copy speed); a hand-off's
 * fixed seconds, with nothing to copy.
 */
export function rebalanceMoveCost(cl: MoveCosts): { setupSec: number; copyBytesPerSec: number } {
  return { setupSec: cl.moveModel === "handoff" ? cl.handoffSec : cl.migrationSetupSec, copyBytesPerSec: cl.migrationBytesPerSec / (1 + 1 / Math.max(1, cl.verifySpeedup)) };
}

/**
 * The capacity settings a plan times the load's moves with. A new host's share arrives by
 * hand-offs, so its lead is provisioning, a hand-off and the margin, not the copy of a share (the
 * settings' copy budget stays for history, see `historyCopySeconds`).
 */
export function leadSettings(cl: Pick<ClusterConfig, "moveModel" | "handoffSec">, s: CapacitySettings): CapacitySettings {
  if (cl.moveModel === "copy") return s;
  return { ...s, moveSetupSec: cl.handoffSec, copyBytesPerSec: Number.POSITIVE_INFINITY };
}

/**
 * Hand-offs a host starts per lane within one tick: they run back to back in its migration
 * slots, so a tick holds this many per slot (at least one, which may end in a later tick).
 */
export function handoffsPerLane(cl: Pick<ClusterConfig, "handoffSec">, tickMs: number): number {
  return Math.max(1, Math.floor(tickMs / Math.max(1, cl.handoffSec * 1000)));
}
