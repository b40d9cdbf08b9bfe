import type { ControlDb } from "../client.ts";
import { getClusterId } from "../cluster.ts";
import { safeMessage } from "../safe-message.ts";
import { openHostClient } from "./connect.ts";
import { claimHostIdentityWith, type HostIdentity } from "./identity.ts";
import { applyHostSchemaOn } from "./schema.ts";

/** What is wrong with the marker a host's database carries, or null when it names that host. */
function markerProblem(marker: HostIdentity, host: { id: string }, clusterId: string): string | null {
  if (marker.clusterId !== clusterId) {
    return `its database is marked as host "${marker.hostName}" of another control plane (cluster ${marker.clusterId}): two control planes write to it`;
  }
  if (marker.hostId !== host.id) {
    return `its database is marked as host "${marker.hostName}": both hosts are one database (or one is a copy of the other); moves between them are refused`;
  }
  return null;
}

/**
 * Brings every registered host to the newest host migration (hosts registered by an older version
 * get the new tables, columns and indexes). Run by `npm run db:migrate`, the embedded start and the
 * worker at start. Returns the names of hosts that could not be reached (they are upgraded when
 * they come back, at the next run).
 *
 * Hosts in service registered before identity markers existed get theirs here, oldest first, so
 * registration recognises their databases under any DSN from now on; a database that turns out
 * to be marked as another host is reported, not re-marked.
 */
export async function upgradeHostSchemas(
  db: ControlDb,
  log: (line: string) => void = () => undefined,
): Promise<string[]> {
  const hosts = await db.host.findMany({ select: { id: true, name: true, dsn: true, retiredAt: true, status: true }, orderBy: [{ createdAt: "asc" }, { name: "asc" }] });
  const clusterId = hosts.length > 0 ? await getClusterId(db) : "";
  const unreachable: string[] = [];
  for (const h of hosts) {
    try {
      const client = await openHostClient(h.dsn, { applicationName: "shardcast-schema" });
      try {
        await applyHostSchemaOn(client, h.dsn, { log: (line) => log(`host ${h.name}: ${line}`) });
        // A retired host's database may be another host's now: it claims nothing.
        if (h.retiredAt === null || h.status === "active") {
          const problem = markerProblem(await claimHostIdentityWith(client, { clusterId, hostId: h.id, hostName: h.name }), h, clusterId);
          if (problem) log(`host ${h.name}: ${problem}`);
        }
      } finally {
        await client.end().catch(() => undefined);
      }
    } catch (err) {
      unreachable.push(h.name);
      log(`host ${h.name}: schema upgrade skipped (${safeMessage(err)})`);
    }
  }
  return unreachable;
}
