import { randomBytes } from "node:crypto";
import pg from "pg";
import { createApiKey } from "./api-keys.ts";
import { createControlDb, type ControlDb } from "./client.ts";
import { ensurePartitionsWith } from "./host/partitions.ts";
import { HostPool } from "./host/pool.ts";
import type { HostDriver } from "./host/driver.ts";
import { appendReplicaRows, readReplicaSource } from "./host/replica.ts";
import { registerHost } from "./host-registration.ts";
import { applyControlMigrations } from "./migrate.ts";
import { createStream } from "./streams.ts";
import { controlTemplate, createFromTemplate, hostTemplate, urlFor, withAdmin, type TemplateRecipe } from "./test-templates.ts";

/**
 * Test helpers: scratch databases on the server named by PG_ADMIN_URL, dropped by `drop()`. Migrated
 * ones are copies of a template database built once per server and migration set (test-templates.ts).
 */

export { waitFor, type Found } from "@shardcast/core/testing";

interface Scratch {
  name: string;
  url: string;
  drop: () => Promise<void>;
}

function scratch(kind: string): Scratch {
  const name = `sc_test_${kind}_${randomBytes(6).toString("hex")}`;
  return {
    name,
    url: urlFor(name),
    drop: () => withAdmin((c) => c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`)).then(() => undefined),
  };
}

export async function createScratchDatabase(kind = "db"): Promise<Scratch> {
  const db = scratch(kind);
  await withAdmin((c) => c.query(`CREATE DATABASE "${db.name}"`));
  return db;
}

async function copyOfTemplate(kind: string, recipe: TemplateRecipe): Promise<Scratch> {
  const db = scratch(kind);
  await createFromTemplate(recipe, db.name);
  return db;
}

/** An empty database brought up to date by `migrate`, dropped again when that fails. */
async function migratedScratch(kind: string, migrate: (url: string) => Promise<unknown>): Promise<Scratch> {
  const db = await createScratchDatabase(kind);
  try {
    await migrate(db.url);
  } catch (err) {
    await db.drop();
    throw err;
  }
  return db;
}

/**
 * A fresh control database with every migration applied: a copy of the migrated template, or with
 * `template: false` an empty database run through `prisma migrate deploy`, for tests of that path.
 */
export async function createTestControlDb(opts: { template?: boolean } = {}): Promise<{ url: string; db: ControlDb; drop: () => Promise<void> }> {
  const control = opts.template === false ? await migratedScratch("control", applyControlMigrations) : await copyOfTemplate("control", await controlTemplate());
  const db = createControlDb(control.url, { poolSize: 5 });
  return {
    url: control.url,
    db,
    drop: async () => {
      await db.$disconnect();
      await control.drop();
    },
  };
}

/**
 * A fresh host database: a copy of the migrated host template, or empty with `schema: false`. A
 * copy gets the partitions of the present and the next span, as a live host has them from the
 * retention job (the template's were made when it was built), so tests may insert rows directly.
 */
export async function createTestHostDb(opts: { schema?: boolean } = {}): Promise<{ dsn: string; drop: () => Promise<void> }> {
  if (opts.schema === false) {
    const empty = await createScratchDatabase("host");
    return { dsn: empty.url, drop: empty.drop };
  }
  const host = await copyOfTemplate("host", hostTemplate);
  const client = new pg.Client({ connectionString: host.url });
  try {
    await client.connect();
    await ensurePartitionsWith(client, [], { ahead: 1 });
  } catch (err) {
    await client.end().catch(() => undefined);
    await host.drop();
    throw err;
  }
  await client.end();
  return { dsn: host.url, drop: host.drop };
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

/**
 * Copies a shardlet's rows on `source` up to `upToSeq` into a replica already created on `target`
 * and verifies it there, in chunks, as the sync job does (without its checks of the source's
 * fence): for tests and benchmarks that need a filled replica without running the worker.
 */
export async function fillReplica(
  source: HostDriver,
  target: HostDriver,
  r: { replicaId: string; streamId: string; shardletId: string; lo: number; hi: number; upToSeq: number; chunk?: number },
): Promise<{ events: number; bytes: number }> {
  const chunk = r.chunk ?? 2_000;
  let held = { events: 0, bytes: 0 };
  for (let verified = 0; verified < r.upToSeq; ) {
    const read = await readReplicaSource(source, { streamId: r.streamId, lo: r.lo, hi: r.hi, shardletId: r.shardletId, afterSeq: verified, upToSeq: r.upToSeq, limit: chunk });
    const to = read.rows.length < chunk ? r.upToSeq : read.rows[read.rows.length - 1]!.seq;
    const appended = await appendReplicaRows(target, { replicaId: r.replicaId, fromSeq: verified, toSeq: to, rows: read.rows });
    if (!appended) throw new Error(`replica ${r.replicaId} refused the rows after ${verified}`);
    held = appended;
    verified = to;
  }
  return held;
}
