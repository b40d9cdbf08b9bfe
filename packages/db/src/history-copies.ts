import { canMoveMigration, ShardcastError, type MigrationPhase } from "@shardcast/core";
import type { ControlDb } from "./client.ts";
import { num } from "./errors.ts";
import { logLine, movedElsewhere, type MigrationLogLine } from "./migration-runs.ts";

export { maxRangeSeq } from "./host/range-seq.ts";

/**
 * Control-database side of a history copy: a migration in mode `copy` whose shardlet is sealed (a
 * hand-off left it where it was written). Its rows move to the destination and the sealed shardlet
 * is re-pointed there; nothing writes into it, so there are no shadow writes. The epochs follow the
 * mover's (the start raises the sealed shardlet's epoch by one, the switch by one more), so fences
 * a given-up copy left on a destination stay below those of a later one.
 */

/** A shardlet that is sealed history, or was until retention retired it (a split or merge never seals). */
export function isSealedHistory(s: { state: string; sealedAt: Date | null }): boolean {
  return s.state === "sealed" || (s.state === "retired" && s.sealedAt !== null);
}

/**
 * The start of a history copy, in one transaction: the migration moves to `copying` with the epoch
 * it started from recorded, and the sealed shardlet's epoch goes from `fromEpoch` to `toEpoch` (it
 * must still be sealed on the source at `fromEpoch`). Throws `conflict` when either changed.
 */
export async function startHistoryCopy(
  db: ControlDb,
  m: { id: string; from: MigrationPhase; shardletId: string; sourceHostId: string; fromEpoch: number; toEpoch: number },
  line: MigrationLogLine,
): Promise<void> {
  if (!canMoveMigration(m.from, "copying")) throw new ShardcastError("internal", `migration ${m.id} cannot move from ${m.from} to copying`);
  await db.$transaction(async (tx) => {
    const moved = await tx.migration.updateMany({
      where: { id: m.id, phase: m.from, finishedAt: null, cancelRequested: false },
      data: { phase: "copying", shardletEpoch: m.fromEpoch, startedAt: new Date(), error: null, copyCursor: 0n, copyTarget: null, rowsCopied: 0n, rowsTotal: 0n, copyRate: 0 },
    });
    if (moved.count !== 1) throw movedElsewhere(m.id, m.from);
    const raised = await tx.shardlet.updateMany({
      where: { id: m.shardletId, hostId: m.sourceHostId, epoch: m.fromEpoch, state: "sealed" },
      data: { epoch: m.toEpoch },
    });
    if (raised.count !== 1) {
      throw new ShardcastError("conflict", `sealed shardlet ${m.shardletId} changed while its history copy was starting`, { shardletId: m.shardletId });
    }
    await logLine(tx, m.id, "copying", line);
  });
}

/**
 * The switch of a history copy, in one transaction: the sealed shardlet moves to the destination
 * at `toEpoch` (from the source at `fromEpoch`, still sealed: retention may have retired it
 * meanwhile) with the totals measured there, and the migration from `switching` to `cleanup`.
 * Throws `conflict` when the shardlet is not where the migration expects it.
 */
export async function switchHistoryMapping(
  db: ControlDb,
  m: { id: string; shardletId: string; sourceHostId: string; destHostId: string; fromEpoch: number; toEpoch: number; sizeBytes: number; eventCount: number },
  line: MigrationLogLine,
): Promise<void> {
  await db.$transaction(async (tx) => {
    const switched = await tx.shardlet.updateMany({
      where: { id: m.shardletId, hostId: m.sourceHostId, epoch: m.fromEpoch, state: "sealed" },
      data: { hostId: m.destHostId, epoch: m.toEpoch, sizeBytes: BigInt(Math.round(m.sizeBytes)), eventCount: BigInt(Math.round(m.eventCount)) },
    });
    if (switched.count !== 1) {
      throw new ShardcastError("conflict", `sealed shardlet ${m.shardletId} is not on host ${m.sourceHostId} at epoch ${m.fromEpoch}`, { shardletId: m.shardletId });
    }
    const moved = await tx.migration.updateMany({ where: { id: m.id, phase: "switching", finishedAt: null }, data: { phase: "cleanup", error: null } });
    if (moved.count !== 1) throw movedElsewhere(m.id, "switching");
    await logLine(tx, m.id, "cleanup", line);
  });
}

/** Another shardlet of the stream (not retired) whose range overlaps a given one. */
export interface RangeNeighbour {
  id: string;
  hostId: string;
  state: string;
  lo: number;
  hi: number;
}

/** A started, unfinished migration of another shardlet of the stream whose range overlaps a given one. */
export interface RangeNeighbourMove {
  migrationId: string;
  shardletId: string;
  phase: MigrationPhase;
  sourceHostId: string;
  destHostId: string;
  /** Its shardlet is sealed history (a history copy). */
  history: boolean;
}

/**
 * What else of the stream overlaps [lo, hi): the shardlets (sealed, routed or pending) and the
 * migrations under way (copying to cleanup) of shardlets other than `exceptId`. Range-based copies,
 * verifications and cleanups mix the rows of overlapping shardlets on one host, so a history copy
 * checks this for its two hosts, and a copying move for history copies into its hosts.
 */
export async function rangeNeighbours(
  db: ControlDb,
  q: { streamId: string; lo: number; hi: number; exceptId: string },
): Promise<{ shardlets: RangeNeighbour[]; moves: RangeNeighbourMove[] }> {
  const [shardlets, moves] = await Promise.all([
    db.$queryRaw<Array<{ id: string; host_id: string; state: string; lo: bigint; hi: bigint }>>`
      SELECT id, host_id, state::text AS state, lo, hi FROM shardlets
      WHERE stream_id = ${q.streamId} AND state <> 'retired' AND id <> ${q.exceptId} AND lo < ${q.hi} AND ${q.lo} < hi
      ORDER BY lo, id`,
    db.$queryRaw<Array<{ id: string; shardlet_id: string; phase: MigrationPhase; source_host_id: string; dest_host_id: string; history: boolean }>>`
      SELECT m.id, m.shardlet_id, m.phase, m.source_host_id, m.dest_host_id,
             (m.mode = 'copy' AND (s.state = 'sealed' OR (s.state = 'retired' AND s.sealed_at IS NOT NULL))) AS history
      FROM migrations m JOIN shardlets s ON s.id = m.shardlet_id
      WHERE m.stream_id = ${q.streamId} AND m.finished_at IS NULL AND m.phase IN ('copying', 'verifying', 'switching', 'cleanup')
        AND m.shardlet_id <> ${q.exceptId} AND s.lo < ${q.hi} AND ${q.lo} < s.hi
      ORDER BY m.created_at, m.id`,
  ]);
  return {
    shardlets: shardlets.map((r) => ({ id: r.id, hostId: r.host_id, state: r.state, lo: num(r.lo), hi: num(r.hi) })),
    moves: moves.map((r) => ({
      migrationId: r.id,
      shardletId: r.shardlet_id,
      phase: r.phase,
      sourceHostId: r.source_host_id,
      destHostId: r.dest_host_id,
      history: r.history,
    })),
  };
}
