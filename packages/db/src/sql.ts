import { randomBytes } from "node:crypto";
import { poolOf, type ControlDb, type Prisma } from "./client.ts";

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

/** A timestamp parameter: UTC without a zone, as Prisma stores `DateTime` (cast it `::timestamp`). */
export function utc(at: Date): string {
  return at.toISOString().replace("Z", "");
}

/** A row id for tables whose ids Prisma would generate (`cuid()`): time-ordered, unique. */
export function newRowId(nowMs: number = Date.now()): string {
  return `c${nowMs.toString(36)}${randomBytes(8).toString("hex")}`;
}

/** Runs one statement of a transaction (see `sqlTransaction`). */
export type SqlQuery = <T>(text: string, values: readonly unknown[]) => Promise<T[]>;

const viaPrisma =
  (tx: ControlDb | Prisma.TransactionClient): SqlQuery =>
  (text, values) =>
    tx.$queryRawUnsafe(text, ...values);

/** Plain SQL statements on a client (through its pool) or inside a Prisma transaction's client. */
export function sqlOf(db: ControlDb | Prisma.TransactionClient): SqlQuery {
  const pool = "$transaction" in db ? poolOf(db) : undefined;
  if (!pool) return viaPrisma(db);
  return async <R>(text: string, values: readonly unknown[]) => (await pool.query(text, values as unknown[])).rows as R[];
}

/**
 * Statements in one transaction, in plain SQL (see sqlRows for why): on a connection of the
 * client's pool, or, for a transaction's client, inside that transaction.
 */
export async function sqlTransaction<T>(db: ControlDb, fn: (q: SqlQuery) => Promise<T>): Promise<T> {
  const pool = poolOf(db);
  if (!pool) {
    // A transaction's client has no $transaction: its statements are already in one.
    return "$transaction" in db ? db.$transaction((tx) => fn(viaPrisma(tx))) : fn(viaPrisma(db));
  }
  const client = await pool.connect();
  try {
    await client.query("BEGIN");
    const out = await fn(async <R>(text: string, values: readonly unknown[]) => (await client.query(text, values as unknown[])).rows as R[]);
    await client.query("COMMIT");
    return out;
  } catch (err) {
    await client.query("ROLLBACK").catch(() => undefined);
    throw err;
  } finally {
    client.release();
  }
}

/** A statement with its parameters, built by the `sql` tag. */
export interface SqlStatement {
  text: string;
  values: unknown[];
}

/** What the `sql` tag builds; one interpolated into another is spliced in (see `sql`). */
class SqlPiece implements SqlStatement {
  constructor(
    readonly text: string,
    readonly values: unknown[],
  ) {}
}

/**
 * A tagged template for `sqlRows`-style statements: each interpolated value becomes a parameter
 * (`$1`, `$2`, ...), as with Prisma's `$queryRaw`. Dates become `utc` strings: the pg driver would
 * send them in the process's time zone, which a `timestamp` column (no zone) would keep. A value
 * built by `sql` itself is spliced in with its parameters renumbered, so one statement's part (a
 * CTE) serves several statements.
 */
export function sql(strings: TemplateStringsArray, ...values: unknown[]): SqlStatement {
  let text = strings[0] ?? "";
  const params: unknown[] = [];
  values.forEach((v, i) => {
    if (v instanceof SqlPiece) {
      const offset = params.length;
      text += v.text.replace(/\$(\d+)/g, (_, n: string) => `$${Number(n) + offset}`);
      params.push(...v.values);
    } else {
      params.push(v instanceof Date ? utc(v) : v);
      text += `$${params.length}`;
    }
    text += strings[i + 1] ?? "";
  });
  return new SqlPiece(text, params);
}

/** Rows of a statement built with `sql` (see sqlRows). */
export function sqlQuery<T>(db: ControlDb, statement: SqlStatement): Promise<T[]> {
  return sqlRows<T>(db, statement.text, statement.values);
}
