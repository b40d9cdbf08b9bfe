import type { MoveMode } from "../migration/phases.ts";
import type { ShardletBase } from "../types.ts";

/**
 * Placement contracts: what the rebalancer (reactive, current load), the predictive analyzer
 * (forecast load) and the simulator give the placement planner, and what it returns. Loads are
 * write events per second; the caller decides whether they are current or predicted.
 */

export type PlacementHostStatus = "active" | "draining" | "down";

export interface PlacementHost {
  id: string;
  status: PlacementHostStatus;
  capacityEventsPerSec: number;
  capacityBytes: number;
  /** Bytes stored now (all shardlets). */
  sizeBytes: number;
}

/** Placement weighs loads and bytes per host; ranges and shards do not matter to it. */
export interface PlacementShardlet extends Pick<ShardletBase, "id" | "streamId" | "hostId"> {
  /** Events per second (current for the rebalancer, predicted peak for the analyzer). */
  load: number;
  sizeBytes: number;
  /** Only `active` shardlets can be moved; others count toward their host's load. */
  state: string;
}

export interface FeasibilityCheck {
  ok: boolean;
  detail: string;
}

export interface MoveFeasibility {
  /** The destination stays under its capacity (events/s and bytes) with the configured headroom. */
  headroom: FeasibilityCheck;
  /** The bytes can be copied within the bandwidth budget (and the window, when one is set). */
  bandwidth: FeasibilityCheck;
  /** The move can start inside the allowed migration window. */
  window: FeasibilityCheck;
}

export interface MoveProposal {
  shardletId: string;
  streamId: string;
  sourceHostId: string;
  destHostId: string;
  reason: string;
  bytesToMove: number;
  /** Load (events/s) of the two hosts before and after the move. */
  expectedLoad: Record<string, { before: number; after: number }>;
  /** Reduction of the load spread (events/s taken off the hottest host, or similar); > 0. */
  benefit: number;
  feasibility: MoveFeasibility;
  /** Seconds until the predicted overload (predictive proposals only). */
  urgencySec?: number;
  /** How the move runs: a hand-off moves only the load (`bytesToMove` 0), a copy moves the history too. */
  mode?: MoveMode;
}

/** A move the planner considered and did not propose, with why (shown as "why not" in the console). */
export interface PlacementNote {
  message: string;
  streamId?: string;
  shardletId?: string;
  hostId?: string;
  details?: Record<string, unknown>;
}

export interface PlacementResult {
  proposals: MoveProposal[];
  notes: PlacementNote[];
}
