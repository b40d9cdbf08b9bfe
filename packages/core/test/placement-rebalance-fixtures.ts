import type { RebalanceInput } from "../src/placement/rebalance.ts";
import { parseRebalanceSettings, type RebalanceSettings } from "../src/placement/settings.ts";
import type { PlacementHost, PlacementShardlet } from "../src/placement/types.ts";

/** What the rebalance planner's tests build their clusters from: hosts, shardlets, settings and the planner's input. */

export const MIB = 1024 * 1024;
export const NOW = Date.UTC(2026, 0, 15, 12, 0, 0);

export function hosts(n: number, extra: Partial<PlacementHost> = {}): PlacementHost[] {
  return Array.from({ length: n }, (_, i) => ({
    id: `h${i + 1}`,
    status: "active" as const,
    capacityEventsPerSec: 10_000,
    capacityBytes: 100 * 1024 * MIB,
    sizeBytes: 0,
    ...extra,
  }));
}

export function sl(id: string, hostId: string, load: number, sizeBytes = MIB, extra: Partial<PlacementShardlet> = {}): PlacementShardlet {
  return { id, streamId: "st", hostId, load, sizeBytes, state: "active", ...extra };
}

/** Host sizes follow their shardlets, as the worker reports them. */
function withSizes(hs: PlacementHost[], ss: readonly PlacementShardlet[]): PlacementHost[] {
  return hs.map((h) => ({ ...h, sizeBytes: ss.filter((s) => s.hostId === h.id).reduce((sum, s) => sum + s.sizeBytes, 0) }));
}

export function settings(over: Partial<RebalanceSettings> = {}): RebalanceSettings {
  // The copying planner (bytes cost bandwidth and window): hand-off tests ask for moveMode "handoff".
  return parseRebalanceSettings({ minHostLoad: 1, moveMode: "copy", ...over });
}

export function input(hs: PlacementHost[], ss: PlacementShardlet[], over: Partial<RebalanceInput> = {}): RebalanceInput {
  return { hosts: withSizes(hs, ss), shardlets: ss, settings: settings(), now: NOW, ...over };
}
