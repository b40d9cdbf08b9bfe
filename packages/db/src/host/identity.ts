import { randomUUID } from "node:crypto";
import type pg from "pg";
import type { HostDriver } from "./driver.ts";
import { query } from "./range-query.ts";

/**
 * The identity marker a host database carries (host migration 0007, `sc_host_identity`): which
 * host of which control plane it is. A DSN does not identify a database (another spelling of the
 * server's address, extra parameters or another user reach the same one), the row in the database
 * does: registration refuses a database whose marker names a host in service, and the mover
 * refuses a move between two hosts that show the same marker.
 */
export interface HostIdentity {
  /** Random, new at each registration. */
  identity: string;
  /** The control plane that wrote the marker (`getClusterId`). */
  clusterId: string;
  hostId: string;
  hostName: string;
  claimedAt: Date;
}

export interface HostIdentityClaim {
  clusterId: string;
  hostId: string;
  hostName: string;
}

type Run = <R extends pg.QueryResultRow>(config: pg.QueryConfig) => Promise<pg.QueryResult<R>>;

interface IdentityRow {
  identity: string;
  cluster_id: string;
  host_id: string;
  host_name: string;
  claimed_at: Date;
}

const RETURNING = "identity::text AS identity, cluster_id::text AS cluster_id, host_id, host_name, claimed_at";

function toIdentity(r: IdentityRow): HostIdentity {
  return { identity: r.identity, clusterId: r.cluster_id, hostId: r.host_id, hostName: r.host_name, claimedAt: r.claimed_at };
}

function onClient(client: pg.ClientBase): Run {
  return <R extends pg.QueryResultRow>(config: pg.QueryConfig) => client.query<R>(config);
}

function onDriver(driver: HostDriver): Run {
  return <R extends pg.QueryResultRow>(config: pg.QueryConfig) => query<R>(driver, "host identity", config);
}

async function read(run: Run): Promise<HostIdentity | null> {
  // A database no control plane has migrated to version 7 yet has no table, hence no marker.
  const table = await run<{ present: boolean }>({ text: "SELECT to_regclass('sc_host_identity') IS NOT NULL AS present" });
  if (!table.rows[0]?.present) return null;
  const res = await run<IdentityRow>({ text: `SELECT ${RETURNING} FROM sc_host_identity` });
  const row = res.rows[0];
  return row ? toIdentity(row) : null;
}

/** Inserts a new marker unless the database has one; returns the one it has afterwards. */
async function claim(run: Run, c: HostIdentityClaim): Promise<HostIdentity> {
  await run({
    text: `INSERT INTO sc_host_identity (identity, cluster_id, host_id, host_name) VALUES ($1, $2, $3, $4)
           ON CONFLICT (singleton) DO NOTHING`,
    values: [randomUUID(), c.clusterId, c.hostId, c.hostName],
  });
  const now = await read(run);
  if (!now) throw new Error("the host identity marker vanished while it was claimed");
  return now;
}

/** The marker of the database `client` is connected to, or null when it has none. */
export function readHostIdentityWith(client: pg.ClientBase): Promise<HostIdentity | null> {
  return read(onClient(client));
}

/**
 * Writes a new marker (a fresh identity) for `next`, only if the database's marker is still
 * `expected` (its identity; null: no marker): a registration that read the marker, decided, and
 * then finds it changed lost a race with another control plane and must not overwrite its claim.
 * Returns the new marker, or null when the marker had changed.
 */
export async function replaceHostIdentityWith(client: pg.ClientBase, expected: string | null, next: HostIdentityClaim): Promise<HostIdentity | null> {
  const values = [randomUUID(), next.clusterId, next.hostId, next.hostName];
  const res =
    expected === null
      ? await client.query<IdentityRow>(
          `INSERT INTO sc_host_identity (identity, cluster_id, host_id, host_name) VALUES ($1, $2, $3, $4)
           ON CONFLICT (singleton) DO NOTHING RETURNING ${RETURNING}`,
          values,
        )
      : await client.query<IdentityRow>(
          `UPDATE sc_host_identity SET identity = $1, cluster_id = $2, host_id = $3, host_name = $4, claimed_at = now()
           WHERE identity = $5 RETURNING ${RETURNING}`,
          [...values, expected],
        );
  const row = res.rows[0];
  return row ? toIdentity(row) : null;
}

/**
 * Gives a database without a marker (a host registered before markers existed) one naming `c`,
 * and returns the marker the database carries afterwards: `c`'s, or the one it already had.
 */
export function claimHostIdentityWith(client: pg.ClientBase, c: HostIdentityClaim): Promise<HostIdentity> {
  return claim(onClient(client), c);
}

/** `claimHostIdentityWith` through a host's pool. */
export function claimHostIdentity(driver: HostDriver, c: HostIdentityClaim): Promise<HostIdentity> {
  return claim(onDriver(driver), c);
}

/** The marker of a host's database through its pool, or null when it has none. */
export function readHostIdentity(driver: HostDriver): Promise<HostIdentity | null> {
  return read(onDriver(driver));
}
