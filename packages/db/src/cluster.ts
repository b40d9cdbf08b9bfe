import { randomUUID } from "node:crypto";
import type { ControlDb } from "./client.ts";

const ROW = 1;

/**
 * This control plane's cluster id: made on first use and kept in the control database, so it is
 * the same for every console, worker and restart. Host identity markers carry it, which tells a
 * database registered here from one another control plane uses.
 */
export async function getClusterId(db: Pick<ControlDb, "clusterIdentity">): Promise<string> {
  const found = await db.clusterIdentity.findUnique({ where: { id: ROW }, select: { clusterId: true } });
  if (found) return found.clusterId;
  // Two processes starting at once both get here: the first insert wins and both read it.
  await db.clusterIdentity.createMany({ data: [{ id: ROW, clusterId: randomUUID() }], skipDuplicates: true });
  return (await db.clusterIdentity.findUniqueOrThrow({ where: { id: ROW }, select: { clusterId: true } })).clusterId;
}
