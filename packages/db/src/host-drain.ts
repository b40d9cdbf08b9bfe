import { ShardcastError, type HostStatus } from "@shardcast/core";
import type { ControlDb } from "./client.ts";
import { returnRetiredHost } from "./host-registration.ts";

/**
 * Marks a host `draining` (the rebalancer moves every shardlet off it and nothing new is placed on
 * it) or takes it back into service (`active`). A down host cannot change: the health probe owns
 * that status. A retired host returns to service only while its database is still its own (see
 * `returnRetiredHost`). Returns the host's name and its status before and after.
 */
export async function setHostDraining(db: ControlDb, hostId: string, draining: boolean): Promise<{ name: string; before: HostStatus; after: HostStatus }> {
  const host = await db.host.findUnique({ where: { id: hostId }, select: { name: true, status: true, retiredAt: true } });
  if (!host) throw new ShardcastError("not_found", `Host ${hostId} does not exist.`);
  const target: HostStatus = draining ? "draining" : "active";
  if (host.status === target) return { name: host.name, before: host.status, after: target };
  if (host.status === "down") {
    throw new ShardcastError("conflict", `Host ${host.name} is down; it can be ${draining ? "drained" : "taken back into service"} once the health probe sees it up again.`);
  }
  if (!draining && host.retiredAt !== null) {
    await returnRetiredHost(db, hostId, host.status);
    return { name: host.name, before: host.status, after: target };
  }
  // Conditional on the status read, so a concurrent health probe marking it down wins cleanly.
  const { count } = await db.host.updateMany({ where: { id: hostId, status: host.status }, data: { status: target } });
  if (count !== 1) throw new ShardcastError("conflict", `Host ${host.name} changed status meanwhile; reload and try again.`);
  return { name: host.name, before: host.status, after: target };
}
