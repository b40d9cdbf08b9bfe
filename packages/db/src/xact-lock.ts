import type { Prisma } from "./client.ts";

/**
 * Takes a named advisory lock held until the transaction ends, so writers of the same name run one
 * after another. The name is hashed by PostgreSQL: existing lock names keep their meaning.
 */
export async function xactLock(tx: Prisma.TransactionClient, name: string): Promise<void> {
  await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtext(${name}))`;
}
