import { randomBytes } from "node:crypto";
import pg from "pg";
import { createApiKey } from "./api-keys.ts";
import { createControlDb, type ControlDb } from "./client.ts";
import { pgAdminUrl } from "./env.ts";
import { HostPool } from "./host/pool.ts";
import { applyHostSchema } from "./host/schema.ts";
import { registerHost } from "./host-registration.ts";
import { applyControlMigrations } from "./migrate.ts";
import { createStream } from "./streams.ts";

/** Test helpers: scratch databases on the server named by PG_ADMIN_URL, dropped by `drop()`. */

export { waitFor, type Found } from "@shardcast/core/testing";

function scratchName(kind: string): string {
  return `sc_test_${kind}_${randomBytes(6).toString("hex")}`;
}

function urlFor(database: string): string {
  const url = new URL(pgAdminUrl());
  url.pathname = `/${database}`;
  return url.toString();
}

async function admin<T>(fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: pgAdminUrl(), connectionTimeoutMillis: 5_000 });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

export async function createScratchDatabase(kind = "db"): Promise<{ name: string; url: string; drop: () => Promise<void> }> {
  const name = scratchName(kind);
  await admin((c) => c.query(`CREATE DATABASE "${name}"`));
  return {
    name,
    url: urlFor(name),
    drop: () => admin((c) => c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`)).then(() => undefined),
  };
}

/** A fresh control database with every migration applied. */
export async function createTestControlDb(): Promise<{ url: string; db: ControlDb; drop: () => Promise<void> }> {
  const scratch = await createScratchDatabase("control");
  try {
    await applyControlMigrations(scratch.url);
  } catch (err) {
    await scratch.drop();
    throw err;
  }
  const db = createControlDb(scratch.url, { poolSize: 5 });
  return {
    url: scratch.url,
    db,
    drop: async () => {
      await db.$disconnect();
      await scratch.drop();
    },
  };
}

/** A fresh host database; with the host schema applied unless `schema: false`. */
export async function createTestHostDb(opts: { schema?: boolean } = {}): Promise<{ dsn: string; drop: () => Promise<void> }> {
  const scratch = await createScratchDatabase("host");
  if (opts.schema !== false) {
    try {
      await applyHostSchema(scratch.url);
    } catch (err) {
      await scratch.drop();
      throw err;
    }
  }
  return { dsn: scratch.url, drop: scratch.drop };
}

export interface TestCluster {
  controlUrl: string;
  db: ControlDb;
  hosts: HostPool;
  hostIds: string[];
  /** hostId -> DSN, for tests that inspect host tables directly. */
  hostDsns: Map<string, string>;
  stream: string;
  streamId: string;
  /** A key that may produce to and consume from the stream. */
  token: string;
  /** Closes the host pool and drops every database. */
  drop(): Promise<void>;
}

/**
 * The control plane of a small cluster for integration tests and benchmarks: a control database,
 * `hosts` registered host databases, one stream and an API key for it.
 */
export async function createTestCluster(opts: {
  hosts: number;
  stream: string;
  shardCount: number;
  shardletsPerShard: number;
  capacityBytes?: number;
  hostPoolSize?: number;
  /** Runs after the hosts are registered and before the stream is created (e.g. settings). */
  beforeStream?: (db: ControlDb) => Promise<void>;
}): Promise<TestCluster> {
  const control = await createTestControlDb();
  const hostDbs = await Promise.all(Array.from({ length: opts.hosts }, () => createTestHostDb()));
  const hosts = new HostPool(control.db, { poolSize: opts.hostPoolSize ?? 4, onError: () => undefined });
  const drop = async () => {
    await hosts.closeAll();
    await control.drop();
    for (const h of hostDbs) await h.drop();
  };
  try {
    const hostIds: string[] = [];
    for (const [i, h] of hostDbs.entries()) hostIds.push((await registerHost(control.db, { name: `test-host-${i + 1}`, dsn: h.dsn })).id);
    await opts.beforeStream?.(control.db);
    const stream = await createStream(control.db, hosts, {
      name: opts.stream,
      shardCount: opts.shardCount,
      shardletsPerShard: opts.shardletsPerShard,
      ...(opts.capacityBytes ? { capacityBytes: opts.capacityBytes } : {}),
    });
    const key = await createApiKey(control.db, { name: "producer", streams: [opts.stream], canProduce: true, canConsume: true, createdById: null });
    return {
      controlUrl: control.url,
      db: control.db,
      hosts,
      hostIds,
      hostDsns: new Map(hostIds.map((id, i) => [id, hostDbs[i]!.dsn])),
      stream: opts.stream,
      streamId: stream.id,
      token: key.token,
      drop,
    };
  } catch (err) {
    await drop();
    throw err;
  }
}

/**
 * A migration written straight in `approved`, for benchmarks and tests that time a run without
 * the proposal and decision steps in front of it.
 */
export async function insertApprovedMigration(
  db: ControlDb,
  m: { streamId: string; shardletId: string; sourceHostId: string; destHostId: string; shardletEpoch: number; reason: string },
): Promise<{ id: string }> {
  return db.migration.create({ data: { ...m, phase: "approved", origin: "manual" }, select: { id: true } });
}
