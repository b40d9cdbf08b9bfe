import { effectiveHostCapacity, redactDsn, ShardcastError, type CapacitySource, type HostStatus } from "@shardcast/core";
import type { ControlDb } from "./client.ts";
import { sqlRows } from "./sql.ts";
import { num } from "./errors.ts";
import type { Host } from "./generated/prisma/client.ts";

export const DEFAULT_HOST_CAPACITY_BYTES = 10 * 1024 ** 3;
export const DEFAULT_HOST_CAPACITY_EVENTS_PER_SEC = 5_000;
/** The most events/s a host's capacity column (a 32-bit integer) holds. */
export const MAX_HOST_EVENTS_PER_SEC = 2_147_483_647;

export interface NewHost {
  name: string;
  /** postgres://user:password@host:port/database: a secret, never returned or logged in full. */
  dsn: string;
  capacityBytes?: number;
  capacityEventsPerSec?: number;
}

/** A storage host as callers see it: the DSN is redacted. */
export interface HostInfo {
  id: string;
  name: string;
  dsn: string;
  capacityBytes: number;
  capacityEventsPerSec: number;
  status: HostStatus;
  sizeBytes: number;
  eventCount: number;
  lastSeenAt: Date | null;
  lastError: string | null;
  createdAt: Date;
  /** Set once a drained host held nothing and was retired (it keeps the `draining` status: the health probe would reactivate a `down` one). */
  retiredAt: Date | null;
  /** An operator's figure, planned on instead of the others while set. */
  capacityOverrideEventsPerSec: number | null;
  /** What the host served before its latency rose (null: no saturation seen). */
  measuredCapacityEventsPerSec: number | null;
  measuredCapacityAt: Date | null;
  measuredCapacityNote: string | null;
  /** The figure the analyzer and the capacity plan use (core's effectiveHostCapacity) and where it comes from. */
  effectiveCapacityEventsPerSec: number;
  capacitySource: CapacitySource;
}

const HOST_NAME = /^[a-z0-9][a-z0-9._-]{0,63}$/;

export function toHostInfo(r: Host): HostInfo {
  return {
    id: r.id,
    name: r.name,
    dsn: redactDsn(r.dsn),
    capacityBytes: num(r.capacityBytes),
    capacityEventsPerSec: r.capacityEventsPerSec,
    status: r.status,
    sizeBytes: num(r.sizeBytes),
    eventCount: num(r.eventCount),
    lastSeenAt: r.lastSeenAt,
    lastError: r.lastError,
    createdAt: r.createdAt,
    retiredAt: r.retiredAt,
    ...capacityFigures(r),
  };
}

/** A host row's capacity figures, the effective one included. */
export function capacityFigures(
  r: Pick<Host, "capacityEventsPerSec" | "capacityOverrideEventsPerSec" | "measuredCapacityEventsPerSec" | "measuredCapacityAt" | "measuredCapacityNote">,
): Pick<HostInfo, "capacityOverrideEventsPerSec" | "measuredCapacityEventsPerSec" | "measuredCapacityAt" | "measuredCapacityNote" | "effectiveCapacityEventsPerSec" | "capacitySource"> {
  const effective = effectiveHostCapacity(r);
  return {
    capacityOverrideEventsPerSec: r.capacityOverrideEventsPerSec,
    measuredCapacityEventsPerSec: r.measuredCapacityEventsPerSec,
    measuredCapacityAt: r.measuredCapacityAt,
    measuredCapacityNote: r.measuredCapacityNote,
    effectiveCapacityEventsPerSec: effective.eventsPerSec,
    capacitySource: effective.source,
  };
}

/** Checks the DSN's form without connecting. Messages never echo the password. */
export function parseHostDsn(dsn: string): URL {
  let url: URL;
  try {
    url = new URL(dsn.trim());
  } catch {
    // The expected form is not written as a URL: error messages are redacted, and the redaction
    // would replace a URL-shaped example that does not parse with "<unparseable dsn>".
    throw new ShardcastError("validation_failed", "DSN is not a URL: expected user:password@host:port/database after postgres://");
  }
  if (url.protocol !== "postgres:" && url.protocol !== "postgresql:") {
    throw new ShardcastError("validation_failed", `DSN must start with postgres:// or postgresql:// (got ${url.protocol}//)`);
  }
  if (!url.hostname) throw new ShardcastError("validation_failed", "DSN has no host name");
  if (url.pathname.replace(/^\//, "").length === 0) throw new ShardcastError("validation_failed", "DSN names no database");
  return url;
}

function positiveInt(value: number | undefined, fallback: number, what: string, max = Number.MAX_SAFE_INTEGER): number {
  if (value === undefined) return fallback;
  if (!Number.isSafeInteger(value) || value <= 0) throw new ShardcastError("validation_failed", `${what} must be a positive integer`);
  if (value > max) throw new ShardcastError("validation_failed", `${what} must be at most ${max}`);
  return value;
}

/** A new host's fields, checked and with defaults, before anything connects to it. */
export function checkNewHost(input: NewHost): Required<NewHost> {
  const name = input.name.trim();
  if (!HOST_NAME.test(name)) {
    throw new ShardcastError("validation_failed", "host name may use a-z, 0-9, '.', '_' and '-', start with a letter or digit, at most 64 characters");
  }
  const dsn = input.dsn.trim();
  parseHostDsn(dsn);
  return {
    name,
    dsn,
    capacityBytes: positiveInt(input.capacityBytes, DEFAULT_HOST_CAPACITY_BYTES, "capacityBytes"),
    capacityEventsPerSec: positiveInt(input.capacityEventsPerSec, DEFAULT_HOST_CAPACITY_EVENTS_PER_SEC, "capacityEventsPerSec", MAX_HOST_EVENTS_PER_SEC),
  };
}

export async function listHosts(db: ControlDb): Promise<HostInfo[]> {
  const rows = await db.host.findMany({ orderBy: [{ createdAt: "asc" }, { name: "asc" }] });
  return rows.map(toHostInfo);
}


/** Every host's name by id (down ones included), for labels. */
export async function listHostNames(db: ControlDb): Promise<Array<{ id: string; name: string }>> {
  return db.host.findMany({ select: { id: true, name: true } });
}

/** Hosts not marked down, by name: the ones the periodic jobs try to reach. */
export async function listReachableHosts(db: ControlDb): Promise<Array<{ id: string; name: string }>> {
  return db.host.findMany({ where: { status: { not: "down" } }, select: { id: true, name: true }, orderBy: { name: "asc" } });
}

/** Every host with its recorded status, by name: what a health round probes. */
export async function listHostStatuses(db: ControlDb): Promise<Array<{ id: string; name: string; status: HostStatus }>> {
  return db.host.findMany({ select: { id: true, name: true, status: true }, orderBy: { name: "asc" } });
}

export async function getHostStatus(db: ControlDb, id: string): Promise<{ name: string; status: HostStatus } | null> {
  // Plain SQL: a mover checks its destination under the op-lock (see sql.ts).
  const [row] = await sqlRows<{ name: string; status: HostStatus }>(db, "SELECT name, status::text AS status FROM hosts WHERE id = $1", [id]);
  return row ?? null;
}

export interface HostProbeRecord {
  status: HostStatus;
  lastError: string | null;
  /** Left out when the probe failed: "down since" is read from the last good probe. */
  lastSeenAt?: Date;
  sizeBytes?: number;
}

/**
 * Stores a probe's result only if the host is still at the status the probe started from: if an
 * operator (or a concurrent probe) changed it meanwhile, the result is stale. Returns whether it
 * was stored.
 */
export async function recordHostProbe(db: ControlDb, host: { id: string; status: HostStatus }, data: HostProbeRecord): Promise<boolean> {
  const { count } = await db.host.updateMany({ where: { id: host.id, status: host.status }, data });
  return count > 0;
}

export async function setHostEventCount(db: ControlDb, id: string, eventCount: number): Promise<void> {
  await db.host.update({ where: { id }, data: { eventCount } });
}

/**
 * Rewrites the DSN of every host for which `rewrite` answers a new one (null: leave it), each
 * only if its DSN is still the one read. Returns the names of the hosts changed. For a server that
 * moved (an embedded PostgreSQL restarted on another port keeps its databases, and the hosts
 * registered at its old address would fail every connection); connections already open elsewhere
 * keep the old address until their process restarts.
 */
export async function rewriteHostDsns(db: ControlDb, rewrite: (dsn: string) => string | null): Promise<string[]> {
  const changed: string[] = [];
  for (const h of await db.host.findMany({ select: { id: true, name: true, dsn: true }, orderBy: { name: "asc" } })) {
    const next = rewrite(h.dsn);
    if (next === null || next === h.dsn) continue;
    parseHostDsn(next);
    const { count } = await db.host.updateMany({ where: { id: h.id, dsn: h.dsn }, data: { dsn: next } });
    if (count > 0) changed.push(h.name);
  }
  return changed;
}
