import { ShardcastError } from "./errors.ts";
import { RoutingTable } from "./routing.ts";
import type { ShardletRoute } from "./types.ts";

/**
 * A change to a stream's routes sent with its announcement, so that an edge installs it without
 * reading the stream's routes again: the shardlets the change took out of routing (split or merged
 * sources, a handed-off source now sealed) and the routes it put in or changed (the children as the
 * control database stores them right after the switch, or routes whose flags it cleared).
 */
export interface RoutePatch {
  retire: readonly string[];
  routes: readonly ShardletRoute[];
}

/** Why a patch was not applied: the edge then reads the stream's routes again, as without one. */
export type RoutePatchRefusal = "stale" | "mismatch";

/**
 * The table with `patch` applied, or why it cannot be. `gone` holds ids earlier patches retired:
 * a patch that routes one of them again was sent before a later change this edge already applied
 * (announcements of different workers are not ordered), so it is "stale". A patch whose result
 * does not tile the hash space (it was made against routes this edge does not have) is a
 * "mismatch". Either way the caller falls back to reading the routes; nothing half-applied stays.
 */
export function patchRoutes(table: RoutingTable, patch: RoutePatch, gone: ReadonlySet<string>): RoutingTable | RoutePatchRefusal {
  const replaced = new Set(patch.retire);
  for (const r of patch.routes) {
    if (gone.has(r.id)) return "stale";
    if (r.streamId !== table.streamId) return "mismatch";
    replaced.add(r.id);
  }
  const routes: ShardletRoute[] = table.all().filter((r) => !replaced.has(r.id));
  routes.push(...patch.routes);
  try {
    return RoutingTable.build(table.streamId, routes);
  } catch (err) {
    if (err instanceof ShardcastError) return "mismatch";
    throw err;
  }
}
