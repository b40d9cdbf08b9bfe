import type pg from "pg";
import { partitionFor, type PartRange } from "@shardcast/core";

/**
 * Time partitions of `sc_events` (see layout.ts). A partition is named by its bounds,
 * `sc_events_p<lo>_<hi>`; the rows stored before partitioning live in `sc_events_legacy`, attached
 * for [MINVALUE, 1) since every one of them has part 0.
 *
 * Lock levels (PostgreSQL 15 documentation, 5.11.2.2 "Partition Maintenance" and the ALTER TABLE
 * reference): `CREATE TABLE ... PARTITION OF` takes an ACCESS EXCLUSIVE lock on the parent, which
 * would queue every insert behind it (and behind any long read ahead of it); `ATTACH PARTITION`
 * takes only SHARE UPDATE EXCLUSIVE on the parent (plus ACCESS EXCLUSIVE on the table attached,
 * new and empty here), which does not conflict with the ROW EXCLUSIVE lock of inserts. So a new
 * partition is a plain `CREATE TABLE (LIKE sc_events ...)` then `ATTACH`. Dropping goes through
 * `DETACH PARTITION ... CONCURRENTLY` (SHARE UPDATE EXCLUSIVE as well; it cannot run inside a
 * transaction block) and then `DROP TABLE` of the detached table, which locks that table only.
 */

/** The partition span a host uses when it has been told none (the retention setting's default). */
export const DEFAULT_PARTITION_SPAN_SEC = 6 * 3_600;

export const LEGACY_PARTITION = "sc_events_legacy";

/** Serialises partition creation on a host (transaction-scoped advisory lock). */
const PARTITION_LOCK_KEY = 0x5c_0002;

export interface EventPartition extends PartRange {
  name: string;
  /** The legacy partition (lo is -Infinity). */
  legacy: boolean;
  /** A DETACH ... CONCURRENTLY that stopped halfway: it is finished with FINALIZE. */
  detachPending: boolean;
}

type Queryable = Pick<pg.ClientBase, "query">;

export function partitionName(r: PartRange): string {
  return `sc_events_p${r.lo}_${r.hi}`;
}

const BOUND = /FROM \((MINVALUE|'?(-?\d+)'?)\) TO \((MAXVALUE|'?(-?\d+)'?)\)/;

function parseBound(expr: string): PartRange | null {
  const m = BOUND.exec(expr);
  if (!m) return null;
  const lo = m[1] === "MINVALUE" ? -Infinity : Number(m[2]);
  const hi = m[3] === "MAXVALUE" ? Infinity : Number(m[4]);
  return { lo, hi };
}

/** The partitions of `sc_events`, oldest first (bounds from the catalog, not from their names). */
export async function listEventPartitions(c: Queryable): Promise<EventPartition[]> {
  const res = await c.query<{ name: string; bound: string; pending: boolean }>(
    `SELECT c.relname AS name, pg_get_expr(c.relpartbound, c.oid) AS bound, i.inhdetachpending AS pending
     FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
     WHERE i.inhparent = to_regclass('sc_events')`,
  );
  const out: EventPartition[] = [];
  for (const r of res.rows) {
    const b = parseBound(r.bound);
    if (b) out.push({ name: r.name, lo: b.lo, hi: b.hi, legacy: b.lo === -Infinity, detachPending: r.pending });
  }
  return out.sort((a, b) => a.lo - b.lo);
}

/**
 * Tables named like partitions that are not attached: what a retention run left between its
 * detach and its drop. They are dropped (with their figures) by the next run.
 */
export async function detachedPartitions(c: Queryable): Promise<Array<{ name: string } & PartRange>> {
  const res = await c.query<{ name: string }>(
    `SELECT c.relname AS name FROM pg_class c
     WHERE c.relkind = 'r' AND c.relnamespace = current_schema()::regnamespace AND c.relname ~ '^sc_events_p[0-9]+_[0-9]+$'
       AND NOT EXISTS (SELECT 1 FROM pg_inherits i WHERE i.inhrelid = c.oid)`,
  );
  return res.rows.map((r) => {
    const [lo, hi] = r.name.slice("sc_events_p".length).split("_").map(Number);
    return { name: r.name, lo: lo ?? 0, hi: hi ?? 0 };
  });
}

/** The span the host was last told to use (by the retention job), for partitions its writers create. */
export async function hostPartitionSpan(c: Queryable): Promise<number> {
  const res = await c.query<{ span: number }>("SELECT span_sec AS span FROM sc_retention_config");
  return res.rows[0]?.span ?? DEFAULT_PARTITION_SPAN_SEC;
}

export async function setHostPartitionSpan(c: Queryable, spanSec: number): Promise<void> {
  await c.query(
    `INSERT INTO sc_retention_config (singleton, span_sec) VALUES (true, $1)
     ON CONFLICT (singleton) DO UPDATE SET span_sec = excluded.span_sec, updated_at = now() WHERE sc_retention_config.span_sec <> excluded.span_sec`,
    [spanSec],
  );
}

const INDEX_DEF = /^CREATE (UNIQUE )?INDEX (\S+) ON (?:ONLY )?\S+ (USING .*)$/;

/**
 * Creates and attaches one partition (see the lock levels above); in the caller's transaction.
 * Its indexes are made before the attach, each named after the parent's index it is attached to
 * (`sc_events_hash_p<lo>_<hi>`), so plans and operators see which one a partition uses; the
 * attach finds them and builds nothing.
 */
export async function createPartition(c: Queryable, r: PartRange): Promise<string> {
  const name = partitionName(r);
  await c.query(`CREATE TABLE ${name} (LIKE sc_events INCLUDING DEFAULTS INCLUDING CONSTRAINTS)`);
  const defs = await c.query<{ def: string }>("SELECT pg_get_indexdef(indexrelid) AS def FROM pg_index WHERE indrelid = 'sc_events'::regclass ORDER BY indexrelid");
  for (const { def } of defs.rows) {
    const m = INDEX_DEF.exec(def);
    if (m) await c.query(`CREATE ${m[1] ?? ""}INDEX ${m[2]}_p${r.lo}_${r.hi} ON ${name} ${m[3]}`);
  }
  await c.query(`ALTER TABLE sc_events ATTACH PARTITION ${name} FOR VALUES FROM (${r.lo}) TO (${r.hi})`);
  return name;
}

async function inTransaction<T>(c: pg.ClientBase, fn: () => Promise<T>): Promise<T> {
  await c.query("BEGIN");
  try {
    const out = await fn();
    await c.query("COMMIT");
    return out;
  } catch (err) {
    await c.query("ROLLBACK").catch(() => undefined);
    throw err;
  }
}

/**
 * Makes sure partitions hold each second of `seconds` (null: the host's present second) and, with
 * `ahead`, the host's present span and that many after it, creating the missing ones with the
 * standard bounds (the host's span, aligned, clipped to the gaps between existing partitions),
 * under the host's partition lock so two writers that both miss one create it once. Returns the
 * partitions created.
 */
export async function ensurePartitionsWith(
  c: pg.ClientBase,
  seconds: ReadonlyArray<number | null>,
  opts: { spanSec?: number; ahead?: number; lockTimeoutMs?: number } = {},
): Promise<PartRange[]> {
  return inTransaction(c, async () => {
    // The attach waits behind a concurrent DETACH CONCURRENTLY; a writer gives up rather than hang.
    await c.query(`SET LOCAL lock_timeout = ${Math.max(1, Math.round(opts.lockTimeoutMs ?? 5_000))}`);
    await c.query("SELECT pg_advisory_xact_lock($1)", [PARTITION_LOCK_KEY]);
    const now = (await c.query<{ s: string }>("SELECT floor(extract(epoch FROM now()))::bigint::text AS s")).rows[0]?.s;
    const span = opts.spanSec ?? (await hostPartitionSpan(c));
    const ranges: PartRange[] = await listEventPartitions(c);
    const made: PartRange[] = [];
    const wanted = [...seconds];
    for (let i = 0; i <= (opts.ahead ?? -1); i++) wanted.push(Number(now) + i * span);
    for (const at of wanted) {
      const r = partitionFor(at ?? Number(now), span, ranges);
      if (!r) continue;
      await createPartition(c, r);
      ranges.push(r);
      made.push(r);
    }
    return made;
  });
}

/**
 * The stored second of the row a write could not place ("no partition of relation ... found for
 * row", SQLSTATE 23514, whose detail names the row's partition key), or undefined for any other
 * error; null when the detail does not say (the host's present second is meant).
 */
export function missingPartitionSecond(err: unknown): number | null | undefined {
  for (let e: unknown = err, depth = 0; e !== null && typeof e === "object" && depth < 4; e = (e as { cause?: unknown }).cause, depth++) {
    const x = e as { code?: unknown; message?: unknown; detail?: unknown };
    if (x.code !== "23514" || typeof x.message !== "string" || !x.message.includes("no partition of relation")) continue;
    const m = typeof x.detail === "string" ? /\(part\) = \((-?\d+)\)/.exec(x.detail) : null;
    return m ? Number(m[1]) : null;
  }
  return undefined;
}
