import { ROUTED_STATES, ShardcastError, type HostStatus } from "@shardcast/core";
import type { ControlDb } from "../client.ts";
import { num } from "../errors.ts";
import { capacityFigures } from "../hosts.ts";

/** A host as the capacity planner sees it: a host's `addedAt` is its registration. */
export interface CapacityHostRow {
  id: string;
  name: string;
  status: HostStatus;
  /** The figure the plan uses: the override, else the measured estimate, else the configured one (core's effectiveHostCapacity). */
  capacityEventsPerSec: number;
  configuredEventsPerSec: number;
  /** Bytes of the shardlets placed on it (not retired ones). */
  sizeBytes: number;
  shardlets: number;
  /** Shards whose overflow log lives on the host (it cannot leave while it is home to any). */
  homeShards: number;
  createdAt: Date;
  retiredAt: Date | null;
}

/** Every host with the bytes and shardlets placed on it, oldest first. */
export async function listCapacityHosts(db: ControlDb): Promise<CapacityHostRow[]> {
  const [hosts, placed, homes] = await Promise.all([
    db.host.findMany({
      select: {
        id: true,
        name: true,
        status: true,
        capacityEventsPerSec: true,
        capacityOverrideEventsPerSec: true,
        measuredCapacityEventsPerSec: true,
        measuredCapacityAt: true,
        measuredCapacityNote: true,
        createdAt: true,
        retiredAt: true,
      },
      orderBy: [{ createdAt: "asc" }, { name: "asc" }],
    }),
    db.shardlet.groupBy({ by: ["hostId"], where: { state: { in: [...ROUTED_STATES] } }, _sum: { sizeBytes: true }, _count: { _all: true } }),
    db.shard.groupBy({ by: ["homeHostId"], _count: { _all: true } }),
  ]);
  const bytes = new Map(placed.map((p) => [p.hostId, { bytes: num(p._sum.sizeBytes ?? 0n), count: p._count._all }]));
  const home = new Map(homes.map((h) => [h.homeHostId, h._count._all]));
  return hosts.map((h) => ({
    id: h.id,
    name: h.name,
    status: h.status,
    capacityEventsPerSec: capacityFigures(h).effectiveCapacityEventsPerSec,
    configuredEventsPerSec: h.capacityEventsPerSec,
    sizeBytes: bytes.get(h.id)?.bytes ?? 0,
    shardlets: bytes.get(h.id)?.count ?? 0,
    homeShards: home.get(h.id) ?? 0,
    createdAt: h.createdAt,
    retiredAt: h.retiredAt,
  }));
}

/**
 * Takes a drained host out of the cluster: it keeps its `draining` status (nothing is placed on it
 * and a health probe does not bring it back) and gets `retiredAt`. Refused with `conflict` unless
 * it is draining, holds no shardlet, is home to no shard's overflow log and takes part in no open
 * migration: a host that holds data is never retired.
 */
export async function retireDrainedHost(db: ControlDb, hostId: string, at: Date): Promise<{ name: string }> {
  return db.$transaction(async (tx) => {
    const rows = await tx.$queryRaw<Array<{ name: string; status: HostStatus; retired_at: Date | null }>>`
      SELECT name, status, retired_at FROM hosts WHERE id = ${hostId} FOR UPDATE`;
    const host = rows[0];
    if (!host) throw new ShardcastError("not_found", `Host ${hostId} does not exist.`);
    if (host.retired_at) return { name: host.name };
    if (host.status !== "draining") throw new ShardcastError("conflict", `Host ${host.name} is ${host.status}, not draining: only a drained host is retired.`);
    const [shardlets, homes, moves] = await Promise.all([
      tx.shardlet.count({ where: { hostId, state: { not: "retired" } } }),
      tx.shard.count({ where: { homeHostId: hostId } }),
      tx.migration.count({ where: { OR: [{ sourceHostId: hostId }, { destHostId: hostId }], phase: { notIn: ["done", "failed", "cancelled", "rejected"] } } }),
    ]);
    if (shardlets > 0 || moves > 0) {
      throw new ShardcastError("conflict", `Host ${host.name} still holds ${shardlets} shardlet${shardlets === 1 ? "" : "s"} (${moves} open migration${moves === 1 ? "" : "s"}): it is retired once empty.`);
    }
    if (homes > 0) throw new ShardcastError("conflict", `Host ${host.name} keeps the overflow log of ${homes} shard${homes === 1 ? "" : "s"}: it stays in the cluster.`);
    await tx.host.update({ where: { id: hostId }, data: { retiredAt: at } });
    return { name: host.name };
  });
}
