import type pg from "pg";
import { redactDsn, ShardcastError, type HostStatus } from "@shardcast/core";
import type { ControlDb } from "./client.ts";
import { getClusterId } from "./cluster.ts";
import { isUniqueViolation } from "./errors.ts";
import { openHostClient } from "./host/connect.ts";
import { hostError } from "./host/driver.ts";
import { readHostIdentityWith, replaceHostIdentityWith, type HostIdentity } from "./host/identity.ts";
import { applyHostSchemaOn } from "./host/schema.ts";
import { checkNewHost, toHostInfo, type HostInfo, type NewHost } from "./hosts.ts";
import { safeMessage } from "./safe-message.ts";
import { actAs } from "./acting-user.ts";
import { xactLock } from "./xact-lock.ts";

type HostsTx = Pick<ControlDb, "host">;

/**
 * A retired host keeps its row (and name) but holds nothing and takes nothing, so its database may
 * be registered again; one an admin took back into service after it was retired counts as in service.
 */
const IN_SERVICE = { OR: [{ retiredAt: null }, { status: "active" as const }] };

function inService(h: { retiredAt: Date | null; status: HostStatus }): boolean {
  return h.retiredAt === null || h.status === "active";
}

/** Refuses a name in use, or the very DSN of a host in service. */
async function refuseClash(tx: HostsTx, name: string, dsn: string): Promise<void> {
  const clash = await tx.host.findFirst({ where: { OR: [{ name }, { dsn, ...IN_SERVICE }] }, select: { name: true } });
  if (clash) {
    throw new ShardcastError("conflict", clash.name === name ? `a host named "${name}" already exists` : `host "${clash.name}" already uses this database`);
  }
}

/**
 * Refuses a database whose identity marker says it is a host already: of another control plane,
 * or of a host of this one that is in service. A marker of a retired host, or of a host this
 * control plane does not know (a registration that did not commit), leaves the database free,
 * and the new registration's marker replaces it.
 * `refusing` opens the message when the caller is not a registration.
 */
async function refuseMarked(tx: HostsTx, clusterId: string, dsn: string, marker: HostIdentity | null, refusing = ""): Promise<void> {
  if (!marker) return;
  if (marker.clusterId !== clusterId) {
    throw new ShardcastError(
      "conflict",
      `${refusing}this database is already storage host "${marker.hostName}" of another Shardcast control plane (cluster ${marker.clusterId}); ` +
        "a database can be a host of one control plane only. If that control plane no longer uses it, " +
        "delete the row of its sc_host_identity table and register it again",
    );
  }
  const owner = await tx.host.findUnique({ where: { id: marker.hostId }, select: { name: true, dsn: true, retiredAt: true, status: true } });
  if (owner && inService(owner)) {
    // The same DSN is found here too when its registration committed between the caller's DSN check and this one.
    const how = owner.dsn === dsn ? "" : ": this DSN reaches it under another address, user or parameters";
    throw new ShardcastError("conflict", `${refusing}host "${owner.name}" already uses this database${how}`);
  }
}

/** Runs a step on the host's connection; raw driver errors name the host by its redacted DSN only. */
async function onHost<T>(dsn: string, what: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof ShardcastError) throw err;
    const lost = hostError(err, what) instanceof ShardcastError;
    throw new ShardcastError(lost ? "unavailable" : "internal", `${what} on host ${redactDsn(dsn)} failed: ${safeMessage(err)}`);
  }
}

/**
 * Registers a storage host: validates the DSN, connects (short timeout), checks the database's
 * identity marker, applies the host schema, then records the host and marks the database as it.
 * Nothing is stored in the control database when any step fails; errors carry the redacted DSN only.
 *
 * Two DSNs may name one database (`localhost` and `127.0.0.1`, extra parameters, another user), so
 * comparing DSNs cannot tell that a database is a host already; its marker can. Two hosts on one
 * database would let a migration copy a shardlet onto its own rows and then delete them as the
 * "source".
 */
export async function registerHost(db: ControlDb, input: NewHost, opts: { actorId?: string } = {}): Promise<HostInfo> {
  const h = checkNewHost(input);
  // Checked before connecting too, so a clash is refused without touching the database it names.
  await refuseClash(db, h.name, h.dsn);
  const clusterId = await getClusterId(db);
  const client: pg.Client = await openHostClient(h.dsn, { connectTimeoutMs: 5_000, applicationName: "shardcast-register" });
  try {
    // A registration that lost the race to one under the same DSN is told so, not of "another address".
    await refuseClash(db, h.name, h.dsn);
    // Read before the schema is applied, so a database another control plane uses stays untouched.
    await refuseMarked(db, clusterId, h.dsn, await onHost(h.dsn, "reading the identity marker", () => readHostIdentityWith(client)));
    await applyHostSchemaOn(client, h.dsn);
    // Two registrations of one database at the same moment (under one DSN or two) would both pass
    // the checks above, so they are repeated under a lock, and the marker is written before the
    // lock is let go: the second one then finds the first one's host and its marker.
    const row = await db.$transaction(
      async (tx) => {
        await xactLock(tx, "host-registration");
        // An admin registering from the console is checked again as the host is written (see acting-user.ts).
        if (opts.actorId !== undefined) await actAs(tx, opts.actorId, "admin");
        await refuseClash(tx, h.name, h.dsn);
        const marker = await onHost(h.dsn, "reading the identity marker", () => readHostIdentityWith(client));
        await refuseMarked(tx, clusterId, h.dsn, marker);
        const created = await tx.host.create({ data: { ...h, lastSeenAt: new Date() } });
        // Written only over the marker just checked: another control plane's registration that
        // marked the database meanwhile keeps it. Should the commit below fail, the marker names a
        // host that does not exist, which frees the database again.
        const written = await onHost(h.dsn, "writing the identity marker", () =>
          replaceHostIdentityWith(client, marker?.identity ?? null, { clusterId, hostId: created.id, hostName: created.name }),
        );
        if (!written) {
          throw new ShardcastError("conflict", "another registration marked this database as its host at the same moment; look at the hosts and try again");
        }
        return created;
      },
      // The lock may be held by another registration for a while (its host round trips).
      { timeout: 30_000 },
    );
    return toHostInfo(row);
  } catch (err) {
    if (isUniqueViolation(err)) throw new ShardcastError("conflict", `a host named "${h.name}" already exists`);
    throw err;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/**
 * Takes a retired host back into service (status `active`), provided its database is still its
 * own: once retired, its database may have been registered again as another host (under its DSN
 * or another spelling of it), and two hosts on one database must never both be in service. Under
 * the registration lock: refused when a host in service uses its DSN, or when the database's marker
 * names another host in service or another control plane; a marker of a retired or unknown host is
 * replaced by this host's. The database must answer (`unavailable` otherwise: retry).
 */
export async function returnRetiredHost(db: ControlDb, hostId: string, expected: HostStatus): Promise<void> {
  const host = await db.host.findUnique({ where: { id: hostId }, select: { name: true, dsn: true } });
  if (!host) throw new ShardcastError("not_found", `Host ${hostId} does not exist.`);
  const clusterId = await getClusterId(db);
  const client: pg.Client = await onHost(host.dsn, "connecting", () => openHostClient(host.dsn, { connectTimeoutMs: 5_000, applicationName: "shardcast-register" }));
  try {
    await db.$transaction(
      async (tx) => {
        await xactLock(tx, "host-registration");
        const clash = await tx.host.findFirst({ where: { id: { not: hostId }, dsn: host.dsn, ...IN_SERVICE }, select: { name: true } });
        if (clash) throw new ShardcastError("conflict", `Host ${host.name} cannot return to service: host "${clash.name}" uses its database now.`);
        const marker = await onHost(host.dsn, "reading the identity marker", () => readHostIdentityWith(client));
        if (!marker || marker.hostId !== hostId || marker.clusterId !== clusterId) {
          await refuseMarked(tx, clusterId, host.dsn, marker, `Host ${host.name} cannot return to service: `);
          const written = await onHost(host.dsn, "writing the identity marker", () =>
            replaceHostIdentityWith(client, marker?.identity ?? null, { clusterId, hostId, hostName: host.name }),
          );
          if (!written) throw new ShardcastError("conflict", `Host ${host.name}'s database was marked by a registration at the same moment; look at the hosts and try again.`);
        }
        // Conditional on the status read, so a concurrent health probe marking it down wins cleanly.
        const { count } = await tx.host.updateMany({ where: { id: hostId, status: expected }, data: { status: "active" } });
        if (count !== 1) throw new ShardcastError("conflict", `Host ${host.name} changed status meanwhile; reload and try again.`);
      },
      { timeout: 30_000 },
    );
  } finally {
    await client.end().catch(() => undefined);
  }
}
