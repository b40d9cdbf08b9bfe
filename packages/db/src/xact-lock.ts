import type { Prisma } from "./client.ts";
import type { SqlQuery } from "./sql.ts";

/**
 * Takes a named advisory lock held until the transaction ends, so writers of the same name run one
 * after another. The name is hashed by PostgreSQL: existing lock names keep their meaning. `tx` is
 * a Prisma transaction's client or a plain SQL transaction's statements (`sqlTransaction`).
 */
export async function xactLock(tx: Prisma.TransactionClient | SqlQuery, name: string): Promise<void> {
  if (typeof tx === "function") await tx("SELECT pg_advisory_xact_lock(hashtext($1))", [name]);
  else await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtext(${name}))`;
}
