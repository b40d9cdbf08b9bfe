import type { HealthScore, OrchestratorInput, ProfileSummary, ShardletHealthInput } from "../src/index.ts";

/** A shardlet's health input below the split rate, room to grow, no forecast: add the profile. */
export const healthInputBase: Omit<ShardletHealthInput, "profile"> = {
  writeRate: 3000,
  bytesPerSec: 1000,
  splitWriteRate: 5000,
  sizeBytes: 1e6,
  capacityBytes: 1e8,
  splitThreshold: 0.8,
  predictedPeak: null,
  latencyTargetMs: 250,
};

/**
 * Two shardlets on two hosts: "a" (the first half of the hash space, on h1) with the profile and
 * health under test, "b" healthy and unprofiled beside it.
 */
export function orchestratorInput(summary: ProfileSummary, health: HealthScore, over: Partial<OrchestratorInput> = {}): OrchestratorInput {
  const healthy: HealthScore = { score: 0.95, weakest: null, components: [] };
  return {
    settings: { healthThreshold: 0.5, migrationWindowSec: 900, maxShards: 64 },
    minShardletWidth: 2 ** 16,
    shardlets: [
      { id: "a", hostId: "h1", lo: 0, hi: 2 ** 31, sizeBytes: 1e6, eventCount: 10_000, health, profile: summary },
      { id: "b", hostId: "h2", lo: 2 ** 31, hi: 2 ** 32, sizeBytes: 1e6, eventCount: 10_000, health: healthy, profile: null },
    ],
    hosts: [
      { id: "h1", active: true, health: healthy, writeShare: 0.6 },
      { id: "h2", active: true, health: healthy, writeShare: 0.4 },
    ],
    copyRowsPerSec: 20_000,
    busy: new Set(),
    ...over,
  };
}
