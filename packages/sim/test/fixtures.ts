import { scenario, type ScenarioOptions } from "../src/scenario.ts";

/**
 * A small cluster (4 hosts, 2 streams of 256 keys, 10-minute ticks, 6 days of which 3 are
 * warm-up) so each policy runs in well under a second; the dynamics are those of the default
 * cluster, scaled down. Its moves copy: the cases built on it stress placement with copies that
 * take a while (a hand-off would end most of their overloads within a tick), and those about
 * hand-offs say so. A day of 256-byte events keeps the shardlets few: a week of them would split
 * into thousands.
 */
export function small(o: Partial<ScenarioOptions> & Pick<ScenarioOptions, "workload">) {
  return scenario({
    seed: 7,
    days: 6,
    warmupDays: 3,
    ...o,
    cluster: { hosts: 4, shardsPerStream: 4, shardletsPerShard: 4, tickMinutes: 10, eventBytes: 256, retentionHours: 24, moveModel: "copy", migrationBytesPerSec: 20 * 1024 * 1024, ...o.cluster },
    params: { streams: 2, keysPerStream: 256, ...o.params },
  });
}
