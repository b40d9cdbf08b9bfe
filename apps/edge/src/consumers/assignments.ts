import { cursorPosition, type Cursor, type StoredEvent } from "@shardcast/core";
import type { ConsumerAssignmentInfo } from "@shardcast/db";
import type { SnapshotRequest } from "@shardcast/runtime";
import type { RouteEntry } from "../routing-cache.ts";

/** A shardlet as a member holds it: its range and where the member's cursor stands. */
export interface Assignment {
  shardletId: string;
  generation: number;
  lo: number;
  hi: number;
  position: number;
}

/** What a member's poll answers. */
export interface PollResult {
  assignments: Assignment[];
  batches: Array<{ shardletId: string; generation: number; events: StoredEvent[]; next: number }>;
  snapshot: SnapshotRequest[];
  watermark: number;
  heartbeatIntervalMs: number;
}

/** The member's view of an assignment, or none while the shardlet is being replaced. */
export function toAssignment(entry: RouteEntry, a: ConsumerAssignmentInfo, cursor: Cursor | undefined): Assignment[] {
  const route = entry.table.byId(a.shardletId);
  // A shardlet the routes no longer know is being replaced; the next reconcile hands it on.
  if (!route || !cursor) return [];
  return [{ shardletId: a.shardletId, generation: a.generation, lo: route.lo, hi: route.hi, position: cursorPosition(cursor) }];
}
