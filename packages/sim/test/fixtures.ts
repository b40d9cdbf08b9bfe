import { scenario, type ScenarioOptions } from "../src/scenario.ts";

/**
 * A small cluster (4 hosts, 2 streams of 256 keys, 10-minute ticks, 6 days of which 3 are
 * warm-up) so each policy runs in well under a second; the dynamics are those of the default
 * cluster, scaled down.
 */
export function small(o: Partial<ScenarioOptions> & Pick<ScenarioOptions, "workload">) {
  return scenario({
    seed: 7,
    days: 6,
    warmupDays: 3,
    ...o,
    cluster: { hosts: 4, shardsPerStream: 4, shardletsPerShard: 4, tickMinutes: 10, eventBytes: 256, migrationBytesPerSec: 20 * 1024 * 1024, ...o.cluster },
    params: { streams: 2, keysPerStream: 256, ...o.params },
  });
}
