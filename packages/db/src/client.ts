import { PrismaPg } from "@prisma/adapter-pg";
import pg from "pg";
import { PrismaClient } from "./generated/prisma/client.ts";

export { Prisma } from "./generated/prisma/client.ts";

/** The control-plane database client (Prisma over the pg driver adapter; no native engine). */
export type ControlDb = PrismaClient;

export interface ControlDbOptions {
  /** Most connections in the pool (default 10). */
  poolSize?: number;
}

/** Each client's connection pool, for the few queries that skip Prisma (see sql.ts). */
const pools = new WeakMap<ControlDb, pg.Pool>();

export function createControlDb(url: string, opts: ControlDbOptions = {}): ControlDb {
  // The pool is created here rather than by the adapter so that sql.ts can share it; the adapter
  // still owns it and ends it on $disconnect.
  const pool = new pg.Pool({ connectionString: url, max: opts.poolSize ?? 10 });
  // An idle connection the server closed (a restart) is dropped by the pool and the next query
  // opens another; unheard, the pool's error event would end the process. The adapter listens
  // too, but only from Prisma's first query on, and sql.ts may query before that.
  pool.on("error", () => undefined);
  const db = new PrismaClient({ adapter: new PrismaPg(pool, { disposeExternalPool: true }) });
  pools.set(db, pool);
  return db;
}

/** The pool under a client made by `createControlDb`; undefined for a transaction's client. */
export function poolOf(db: ControlDb): pg.Pool | undefined {
  return pools.get(db);
}

/** One round trip to the control database, for health checks. */
export async function pingControlDb(db: ControlDb): Promise<void> {
  await db.$queryRaw`SELECT 1`;
}
