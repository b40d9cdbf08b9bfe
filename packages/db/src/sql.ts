import { poolOf, type ControlDb } from "./client.ts";

/**
 * Rows of a plain SQL query on the control database, for the queries every consumer poll makes.
 * Prisma 6's client engine compiles each query in WebAssembly on the caller's event loop (about
 * half a millisecond of CPU per query, measured; its plan cache came only in Prisma 7, whose CLI
 * does not run offline), and a poll made five of them. Through the client's own pool a query
 * costs the round trip alone. A transaction's client has no pool of its own here, so it goes
 * through Prisma's raw query, with the same SQL.
 *
 * Columns come back as the pg driver gives them: cast timestamps to epoch milliseconds
 * (`msOf`) and bigints to float8 in the SQL, since the driver would read a `timestamp` column in
 * the process's time zone and a bigint as a string.
 */
export async function sqlRows<T>(db: ControlDb, text: string, values: readonly unknown[]): Promise<T[]> {
  const pool = poolOf(db);
  if (pool) return (await pool.query(text, values as unknown[])).rows as T[];
  return db.$queryRawUnsafe<T[]>(text, ...values);
}

/** The SQL for a timestamp column as epoch milliseconds (Prisma stores UTC without a zone). */
export function msOf(column: string): string {
  return `(extract(epoch from ${column}) * 1000)::float8`;
}
