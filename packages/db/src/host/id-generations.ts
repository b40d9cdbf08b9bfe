import type pg from "pg";
import type { HostDriver } from "./driver.ts";
import { hostError } from "./host-errors.ts";
import { detachedPartitions, listEventPartitions } from "./partitions.ts";

/**
 * Producers' ids leave a host a generation at a time (host migration 0010). `sc_event_ids` takes
 * new ids; `sc_event_ids_prev` holds those recorded before the last rotation, every one of them
 * an id of an event stored before `prev_until` (a stored second). Writers look ids up in both
 * (event-ids.ts). Once no partition of `sc_events` can hold a row stored before `prev_until`,
 * the previous generation names only expired events: a rotation drops it, renames the current
 * table to it and creates an empty current one. So expiry costs two catalog changes per retention
 * window instead of one index deletion per expired event.
 *
 * Why two writers of one id cannot both store it across a rotation: the rotation takes an ACCESS
 * EXCLUSIVE lock on `sc_event_ids`, which waits for every writer in flight (each holds ROW
 * EXCLUSIVE on it from planning to commit) and holds back every later one. A later writer takes
 * its statement snapshot after it got its locks (PostgreSQL plans, locks, then snapshots a
 * statement), so after the rotation committed: it sees every id written before, now in the
 * previous generation, as committed. Two writers on the same side of the rotation meet in the
 * same table's primary key, as before.
 */

/**
 * Longest a rotation queues writers behind its lock (they wait while it waits for the writes in
 * flight): it gives up and is tried at the next run, which costs nothing but the ids' later exit.
 */
export const ROTATION_LOCK_TIMEOUT_MS = 250;

/** An id generation: written in the same statement as its events; deleted with the whole table. */
const idTableSql = (name: string) => `CREATE TABLE ${name} (
  stream_id text NOT NULL,
  event_id  text NOT NULL,
  seq       bigint NOT NULL,
  part      bigint NOT NULL,
  CONSTRAINT ${name}_pkey PRIMARY KEY (stream_id, event_id)
)`;
const CURRENT_TABLE_SQL = idTableSql("sc_event_ids");

/**
 * The id tables of a host switched to time partitions (migration 0009's step, which creates them
 * in its switch; hosts switched before got them from migration 0010). `sc_event_ids` comes last:
 * its presence tells the layouts apart (layout.ts).
 */
export const ID_TABLES_SQL: readonly string[] = [
  idTableSql("sc_event_ids_prev"),
  `CREATE TABLE sc_id_generation (
     singleton  boolean PRIMARY KEY DEFAULT true CHECK (singleton),
     prev_until bigint NOT NULL,
     rotated_at timestamptz NOT NULL DEFAULT now()
   )`,
  "INSERT INTO sc_id_generation (prev_until) VALUES (floor(extract(epoch FROM now()))::bigint + 1)",
  CURRENT_TABLE_SQL,
];

export interface IdGenerations {
  /** The previous generation holds ids of events stored before this second. */
  prevUntil: number;
  rotatedAt: Date;
}

export type RotationResult =
  | { rotated: true; prevUntil: number; droppedBytes: number; lockMs: number }
  | { rotated: false; reason: "not-due" | "busy"; prevUntil: number };

type Queryable = Pick<pg.ClientBase, "query">;

export async function readIdGenerations(c: Queryable): Promise<IdGenerations> {
  const res = await c.query<{ prev_until: string; rotated_at: Date }>("SELECT prev_until::text, rotated_at FROM sc_id_generation");
  const r = res.rows[0];
  if (!r) throw new Error("sc_id_generation has no row: the host's migration 0010 did not complete");
  return { prevUntil: Number(r.prev_until), rotatedAt: r.rotated_at };
}

/** True when no partition (attached, detaching or detached) may hold a row stored before `prevUntil`. */
async function prevExpired(c: Queryable, prevUntil: number): Promise<boolean> {
  const attached = await listEventPartitions(c);
  const detached = await detachedPartitions(c);
  return [...attached.filter((p) => !p.legacy), ...detached].every((p) => p.lo >= prevUntil);
}

/**
 * Rotates the host's id generations when the previous one names only expired events; otherwise
 * changes nothing. Run under the host's expiry lock (one expiry or rotation at a time).
 */
export async function rotateIdGenerations(driver: HostDriver, opts: { lockTimeoutMs?: number } = {}): Promise<RotationResult> {
  const lockTimeoutMs = opts.lockTimeoutMs ?? ROTATION_LOCK_TIMEOUT_MS;
  return driver
    .withClient(async (c): Promise<RotationResult> => {
      // Looked at without a lock first: most runs find the rotation not due and queue no writer.
      const before = await readIdGenerations(c);
      if (!(await prevExpired(c, before.prevUntil))) return { rotated: false, reason: "not-due", prevUntil: before.prevUntil };
      const started = Date.now();
      await c.query("BEGIN");
      try {
        await c.query(`SET LOCAL lock_timeout = ${Math.max(1, Math.round(lockTimeoutMs))}`);
        // The current table first: every statement that uses both names it first, so none holds
        // the previous one while it waits for the current one.
        await c.query("LOCK TABLE sc_event_ids IN ACCESS EXCLUSIVE MODE");
        await c.query("LOCK TABLE sc_event_ids_prev IN ACCESS EXCLUSIVE MODE");
        const g = (await c.query<{ prev_until: string }>("SELECT prev_until::text FROM sc_id_generation FOR UPDATE")).rows[0];
        const prevUntil = Number(g?.prev_until ?? before.prevUntil);
        // Again under the lock: a writer that stored a row before it may have made an old partition.
        if (!(await prevExpired(c, prevUntil))) {
          await c.query("ROLLBACK");
          return { rotated: false, reason: "not-due", prevUntil };
        }
        const size = await c.query<{ bytes: string }>("SELECT pg_total_relation_size('sc_event_ids_prev')::text AS bytes");
        await c.query("DROP TABLE sc_event_ids_prev");
        await c.query("ALTER TABLE sc_event_ids RENAME TO sc_event_ids_prev");
        await c.query("ALTER TABLE sc_event_ids_prev RENAME CONSTRAINT sc_event_ids_pkey TO sc_event_ids_prev_pkey");
        await c.query(CURRENT_TABLE_SQL);
        // Every id in the table renamed now was written by a statement that committed before this
        // transaction got its lock, so its event was stored at a second before this one.
        const next = await c.query<{ prev_until: string }>(
          "UPDATE sc_id_generation SET prev_until = floor(extract(epoch FROM clock_timestamp()))::bigint + 1, rotated_at = clock_timestamp() RETURNING prev_until::text",
        );
        await c.query("COMMIT");
        return { rotated: true, prevUntil: Number(next.rows[0]?.prev_until ?? 0), droppedBytes: Number(size.rows[0]?.bytes ?? 0), lockMs: Date.now() - started };
      } catch (err) {
        await c.query("ROLLBACK").catch(() => undefined);
        if ((err as { code?: unknown }).code === "55P03") return { rotated: false, reason: "busy", prevUntil: before.prevUntil };
        throw err;
      }
    })
    .catch((err: unknown) => {
      throw hostError(err, "event id rotation");
    });
}
