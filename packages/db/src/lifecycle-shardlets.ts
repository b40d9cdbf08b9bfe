import { ShardcastError, type ShardletBase, type ShardletRoute } from "@shardcast/core";
import type { ControlDb } from "./client.ts";
import { routeOfRow, type RouteRow } from "./routes.ts";
import { sql, sqlQuery, type SqlStatement } from "./sql.ts";
import type { LifecyclePhase } from "./lifecycle.ts";

/**
 * Control-database writes of a split's or merge's steps on the shardlets. Each can move the job
 * to its next phase in the same statement (`PhaseAdvance`): the step's last write and the phase
 * after it commit together, one round trip less while the sources are op-locked. A step repeated
 * after a crash finds the job already moved and the rows already written.
 */

/** Moves a job from `from` to `to` (only if it is still at `from` and unfinished). */
export interface PhaseAdvance {
  jobId: string;
  from: LifecyclePhase;
  to: LifecyclePhase;
  /** Rows the children took over (recorded with the phase). */
  rowsMoved?: number;
}

/** Thrown when the job was not at `from`: another run moved it (nothing of the step is lost). */
function movedElsewhere(a: PhaseAdvance): ShardcastError {
  return new ShardcastError("conflict", `lifecycle job ${a.jobId} was moved past ${a.from} by another run`);
}

export interface PendingShardlet extends ShardletBase {
  capacityBytes: number;
  epoch: number;
  parentId: string;
  /** The right-hand source of a merge. */
  mergedFromId?: string | null;
  /** Figures from the rows in the child's range (its host totals), so it switches in measured. */
  sizeBytes?: number;
  eventCount?: number;
  writeRate?: number;
}

/** The phase move of `advance` as a CTE's statement, only `when` holds (none without an advance). */
function advanceJob(advance: PhaseAdvance | undefined, now: Date, when: SqlStatement) {
  return sql`UPDATE lifecycle_jobs SET phase = ${advance?.to ?? null}, error = NULL, updated_at = ${now}::timestamp,
      rows_moved = coalesce(${advance?.rowsMoved === undefined ? null : Math.round(advance.rowsMoved)}::bigint, rows_moved)
    WHERE id = ${advance?.jobId ?? null} AND phase = ${advance?.from ?? null} AND finished_at IS NULL AND ${when}
    RETURNING id`;
}

/** The insert of pending children as a CTE's statement, only `when` holds; existing ids are kept. */
function insertPending(children: readonly PendingShardlet[], now: Date, when: SqlStatement) {
  const col = <T>(f: (c: PendingShardlet) => T): T[] => children.map(f);
  return sql`INSERT INTO shardlets (id, stream_id, shard_id, lo, hi, host_id, state, capacity_bytes, size_bytes, event_count,
                             write_rate, epoch, parent_id, merged_from_id, created_at, updated_at)
      SELECT t.id, t.stream_id, t.shard_id, t.lo, t.hi, t.host_id, 'pending'::"ShardletState", t.capacity, t.size, t.events,
             t.rate, t.epoch, t.parent_id, t.merged_from_id, ${now}::timestamp, ${now}::timestamp
      FROM unnest(
        ${col((c) => c.id)}::text[], ${col((c) => c.streamId)}::text[], ${col((c) => c.shardId)}::text[],
        ${col((c) => c.lo)}::bigint[], ${col((c) => c.hi)}::bigint[], ${col((c) => c.hostId)}::text[],
        ${col((c) => Math.round(c.capacityBytes))}::bigint[], ${col((c) => Math.round(c.sizeBytes ?? 0))}::bigint[],
        ${col((c) => Math.round(c.eventCount ?? 0))}::bigint[], ${col((c) => c.writeRate ?? 0)}::float8[],
        ${col((c) => c.epoch)}::int[], ${col((c) => c.parentId)}::text[], ${col((c) => c.mergedFromId ?? null)}::text[]
      ) AS t(id, stream_id, shard_id, lo, hi, host_id, capacity, size, events, rate, epoch, parent_id, merged_from_id)
      WHERE ${when}
      ON CONFLICT (id) DO NOTHING
      RETURNING id`;
}

const ALWAYS = sql`true`;

/**
 * Creates the children of a split or merge as `pending` (not routed); existing ids are kept (a
 * repeated step computes the same figures: nothing writes into a range while it changes). Returns
 * how many rows were created.
 */
export async function createPendingShardlets(db: ControlDb, children: readonly PendingShardlet[], advance?: PhaseAdvance): Promise<number> {
  const now = new Date();
  const [row] = await sqlQuery<{ created: number; advanced: number }>(
    db,
    sql`
    WITH j AS (${advanceJob(advance, now, ALWAYS)}), ins AS (${insertPending(children, now, ALWAYS)})
    SELECT (SELECT count(*) FROM ins)::int AS created, (SELECT count(*) FROM j)::int AS advanced`,
  );
  if (advance && row?.advanced !== 1) throw movedElsewhere(advance);
  return row?.created ?? 0;
}

/**
 * The control side of the epoch raise: each source goes to `state` (splitting, merging or, for a
 * hand-off, migrating) at its new epoch, if it is still active or already in that state. One
 * statement; the job advances, and `successors` (a hand-off's, created pending as by
 * createPendingShardlets) are created, only if every source matched. Returns how many rows changed
 * or already matched; fewer than the sources means one was changed by someone else.
 */
export async function markShardletsChanging(
  db: ControlDb,
  state: "splitting" | "merging" | "migrating",
  epochs: ReadonlyMap<string, number>,
  advance?: PhaseAdvance,
  successors: readonly PendingShardlet[] = [],
): Promise<number> {
  const entries = [...epochs];
  const ids = entries.map(([id]) => id);
  const now = new Date();
  const allMatched = sql`(SELECT count(*) FROM s) = ${entries.length}`;
  // Locked in id order first, like every multi-row shardlet update (see writeShardletFigures).
  const [row] = await sqlQuery<{ changed: number; advanced: number }>(
    db,
    sql`
    WITH l AS MATERIALIZED (
      SELECT id FROM shardlets WHERE id = ANY(${ids}::text[]) ORDER BY id FOR UPDATE
    ), s AS (
      UPDATE shardlets AS s SET state = ${state}::"ShardletState", epoch = t.epoch, updated_at = ${now}::timestamp
      FROM l, unnest(${ids}::text[], ${entries.map(([, e]) => e)}::int[]) AS t(id, epoch)
      WHERE s.id = l.id AND t.id = l.id AND s.state IN ('active', ${state}::"ShardletState") AND s.epoch <= t.epoch
      RETURNING s.id
    ), ${successors.length > 0 ? sql`ins AS (${insertPending(successors, now, allMatched)}), ` : sql``}j AS (${advanceJob(advance, now, allMatched)})
    SELECT (SELECT count(*) FROM s)::int AS changed, (SELECT count(*) FROM j)::int AS advanced`,
  );
  const changed = row?.changed ?? 0;
  if (advance && changed === entries.length && row?.advanced !== 1) throw movedElsewhere(advance);
  return changed;
}

/**
 * The switch of a split, merge or hand-off in the control database, in one statement: the children
 * become `active` (routed, flagged overflow-pending: the sources' overflow rows are drained into
 * them after the switch) and the sources `retired` (kept for lineage, stamped with retiredAt) or,
 * for a hand-off, `sealed` (their history stays readable on their host; stamped with sealedAt,
 * write rate zero), or nothing changes when a child is missing or not pending/active. Idempotent.
 * The job advances only with the switch.
 *
 * Answers the children's routes as `loadRoutes` reads them once the statement committed, so the job
 * can send them with its announcement (`RoutePatch`) and no edge reads the stream's routes again.
 * Computed in the statement, whose subqueries see the rows as they were before it: a source sealed
 * by it counts as history already. A child has no migration and no replica yet (both name a routed
 * shardlet), so its shadow host is null and it has no replicas.
 */
export async function switchShardlets(
  db: ControlDb,
  change: { activate: readonly string[]; retire: readonly string[]; seal?: readonly string[]; at?: Date },
  advance?: PhaseAdvance,
): Promise<ShardletRoute[]> {
  const at = change.at ?? new Date();
  const activate = [...change.activate];
  const retire = [...change.retire];
  const seal = [...(change.seal ?? [])];
  // Children and sources are locked together, in id order (see writeShardletFigures): children
  // first and sources after is no global order. The children are checked; the updates run only
  // if every check passed.
  const rows = await sqlQuery<SwitchRow>(
    db,
    sql`
    WITH l AS MATERIALIZED (
      SELECT id, state FROM shardlets WHERE id = ANY(${[...activate, ...retire, ...seal]}::text[]) ORDER BY id FOR UPDATE
    ), c AS (
      SELECT id, state FROM l WHERE id = ANY(${activate}::text[])
    ), ok AS (
      SELECT count(*) = ${activate.length} AND coalesce(bool_and(state IN ('pending', 'active')), true) AS ok FROM c
    ), a AS (
      UPDATE shardlets AS s SET state = 'active', overflow_pending = true, updated_at = ${at}::timestamp
      FROM c WHERE s.id = c.id AND s.state = 'pending' AND (SELECT ok FROM ok)
    ), r AS (
      UPDATE shardlets AS s SET state = 'retired', retired_at = ${at}::timestamp, updated_at = ${at}::timestamp
      FROM l WHERE s.id = l.id AND l.id = ANY(${retire}::text[]) AND s.state <> 'retired' AND (SELECT ok FROM ok)
    ), z AS (
      UPDATE shardlets AS s SET state = 'sealed', sealed_at = ${at}::timestamp, write_rate = 0, updated_at = ${at}::timestamp
      FROM l WHERE s.id = l.id AND l.id = ANY(${seal}::text[]) AND s.state NOT IN ('sealed', 'retired') AND (SELECT ok FROM ok)
    ), j AS (${advanceJob(advance, at, sql`(SELECT ok FROM ok)`)})
    SELECT c.id, c.state::text AS state, (SELECT count(*) FROM j)::int AS advanced,
           s.stream_id, s.shard_id, s.lo::float8 AS lo, s.hi::float8 AS hi, s.host_id, s.epoch,
           (c.state = 'pending' OR s.overflow_pending) AS overflow_pending,
           (SELECT array_agg(DISTINCT h.host_id ORDER BY h.host_id) FROM shardlets h
            WHERE h.stream_id = s.stream_id AND (h.state = 'sealed' OR h.id = ANY(${seal}::text[])) AND h.host_id <> s.host_id
              AND h.lo < s.hi AND s.lo < h.hi) AS history_host_ids
    FROM (SELECT 1) AS one LEFT JOIN c ON true LEFT JOIN shardlets s ON s.id = c.id`,
  );
  const children = rows.filter((r): r is SwitchRow & { id: string; state: string } => r.id !== null && r.state !== null);
  if (children.length !== activate.length) throw new ShardcastError("internal", "a new shardlet of the switch is missing");
  const bad = children.find((c) => c.state !== "pending" && c.state !== "active");
  if (bad) throw new ShardcastError("conflict", `new shardlet ${bad.id} is ${bad.state}, not pending`);
  if (advance && rows[0]?.advanced !== 1) throw movedElsewhere(advance);
  return children.map((r) => routeOfRow({ ...r, state: "active", shadow_host_id: null, replicas: null }));
}

/** The switch's row per child: its check, and its route as it is once the statement committed. */
type SwitchRow = Omit<RouteRow, "id" | "state" | "shadow_host_id" | "replicas"> & { id: string | null; state: string | null; advanced: number };
