import { PrismaPg } from "@prisma/adapter-pg";
import { PrismaClient } from "./generated/prisma/client.ts";

export { Prisma } from "./generated/prisma/client.ts";

/** The control-plane database client (Prisma over the pg driver adapter; no native engine). */
export type ControlDb = PrismaClient;

export interface ControlDbOptions {
  /** Most connections in the pool (default 10). */
  poolSize?: number;
}

export function createControlDb(url: string, opts: ControlDbOptions = {}): ControlDb {
  const adapter = new PrismaPg({ connectionString: url, max: opts.poolSize ?? 10 });
  return new PrismaClient({ adapter });
}

/** One round trip to the control database, for health checks. */
export async function pingControlDb(db: ControlDb): Promise<void> {
  await db.$queryRaw`SELECT 1`;
}
