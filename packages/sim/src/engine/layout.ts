import { planStreamLayout, ShardcastError, type PlacementHostStatus, type ShardletBase } from "@shardcast/core";
import type { ClusterConfig } from "../config.ts";
import type { SimWorkload } from "../workload/types.ts";

export interface LayoutHost {
  id: string;
  capacityEventsPerSec: number;
  capacityBytes: number;
  status: PlacementHostStatus;
}

export interface LayoutShardlet extends ShardletBase {
  capacityBytes: number;
  /** Stored bytes at the start (used with `startSizes: "layout"`). */
  sizeBytes?: number;
}

/** Hosts and shardlets at the start of a run. Every policy of a comparison starts from the same one. */
export interface InitialLayout {
  hosts: LayoutHost[];
  shardlets: LayoutShardlet[];
}

/**
 * The layout a new cluster gets: `hosts` equal hosts, and every stream cut by the product's own
 * `planStreamLayout` (equal shards, equal shardlets, round-robin over its hosts: all of them, or
 * the subset a tenant's stream names).
 */
export function defaultLayout(workload: SimWorkload, cluster: ClusterConfig, capacityBytes: number): InitialLayout {
  if (!Number.isInteger(cluster.hosts) || cluster.hosts < 1) throw new ShardcastError("bad_request", "the cluster needs at least one host");
  const hosts: LayoutHost[] = Array.from({ length: cluster.hosts }, (_, i) => ({
    id: `h${i}`,
    capacityEventsPerSec: cluster.hostCapacityEventsPerSec,
    capacityBytes: cluster.hostCapacityBytes,
    status: "active",
  }));
  const hostIds = hosts.map((h) => h.id);
  const shardlets: LayoutShardlet[] = [];
  for (const stream of workload.streams) {
    const span = stream.hosts ? Math.max(1, Math.min(hostIds.length, stream.hosts.span)) : hostIds.length;
    const offset = stream.hosts ? stream.hosts.offset : 0;
    const on = Array.from({ length: span }, (_, k) => hostIds[(offset + k) % hostIds.length]!);
    const plan = planStreamLayout({ shardCount: cluster.shardsPerStream, shardletsPerShard: cluster.shardletsPerShard, hostIds: on });
    plan.shardlets.forEach((s, i) => {
      shardlets.push({
        id: `${stream.id}/${i}`,
        streamId: stream.id,
        shardId: `${stream.id}#${s.shardIndex}`,
        lo: s.lo,
        hi: s.hi,
        hostId: s.hostId,
        capacityBytes,
      });
    });
  }
  return { hosts, shardlets };
}
