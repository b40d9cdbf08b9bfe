import { ShardcastError } from "@shardcast/core";
import type { HostRun } from "./types.ts";

/** A shardlet's fence on its host: writes succeed only at this epoch while `active`. */
export interface FenceState {
  shardletId: string;
  streamId: string;
  epoch: number;
  state: string;
  lo: number | null;
  hi: number | null;
}

export interface FenceInput {
  shardletId: string;
  streamId: string;
  epoch: number;
  state: string;
  lo?: number | null;
  hi?: number | null;
}

export const FENCE_COLUMNS = "shardlet_id, stream_id, epoch, state, lo, hi";

export interface FenceRow {
  shardlet_id: string;
  stream_id: string;
  epoch: number;
  state: string;
  lo: string | null;
  hi: string | null;
}

function toNumberOrNull(v: string | number | null): number | null {
  return v === null ? null : Number(v);
}

export function toFence(r: FenceRow): FenceState {
  return {
    shardletId: r.shardlet_id,
    streamId: r.stream_id,
    epoch: r.epoch,
    state: r.state,
    lo: toNumberOrNull(r.lo),
    hi: toNumberOrNull(r.hi),
  };
}

export async function setFence(
  run: HostRun,
  shardletId: string,
  streamId: string,
  epoch: number,
  state: string,
  range?: { lo: number; hi: number },
): Promise<FenceState & { applied: boolean }> {
  const res = await run<FenceRow>("fence update", {
    text: `INSERT INTO sc_fence AS f (shardlet_id, stream_id, epoch, state, lo, hi, updated_at)
           VALUES ($1, $2, $3, $4, $5, $6, now())
           ON CONFLICT (shardlet_id) DO UPDATE
             SET epoch = excluded.epoch, state = excluded.state,
                 lo = coalesce(excluded.lo, f.lo), hi = coalesce(excluded.hi, f.hi), updated_at = now()
             WHERE f.epoch <= excluded.epoch
           RETURNING ${FENCE_COLUMNS}`,
    values: [shardletId, streamId, epoch, state, range?.lo ?? null, range?.hi ?? null],
  });
  const row = res.rows[0];
  if (row) return { ...toFence(row), applied: true };
  const current = await getFence(run, shardletId);
  if (!current) throw new ShardcastError("internal", `fence of shardlet ${shardletId} vanished during update`);
  return { ...current, applied: false };
}

export async function setFences(run: HostRun, fences: readonly FenceInput[]): Promise<number> {
  if (fences.length === 0) return 0;
  const res = await run("fence update", {
    text: `INSERT INTO sc_fence AS f (shardlet_id, stream_id, epoch, state, lo, hi, updated_at)
           SELECT t.shardlet_id, t.stream_id, t.epoch, t.state, t.lo, t.hi, now()
           FROM unnest($1::text[], $2::text[], $3::int[], $4::text[], $5::bigint[], $6::bigint[])
             AS t(shardlet_id, stream_id, epoch, state, lo, hi)
           ON CONFLICT (shardlet_id) DO UPDATE
             SET epoch = excluded.epoch, state = excluded.state,
                 lo = coalesce(excluded.lo, f.lo), hi = coalesce(excluded.hi, f.hi), updated_at = now()
             WHERE f.epoch <= excluded.epoch`,
    values: [
      fences.map((f) => f.shardletId),
      fences.map((f) => f.streamId),
      fences.map((f) => f.epoch),
      fences.map((f) => f.state),
      fences.map((f) => f.lo ?? null),
      fences.map((f) => f.hi ?? null),
    ],
  });
  return res.rowCount ?? 0;
}

export async function getFence(run: HostRun, shardletId: string): Promise<FenceState | null> {
  const res = await run<FenceRow>("fence read", {
    text: `SELECT ${FENCE_COLUMNS} FROM sc_fence WHERE shardlet_id = $1`,
    values: [shardletId],
  });
  const row = res.rows[0];
  return row ? toFence(row) : null;
}

export async function listFences(run: HostRun, streamId?: string): Promise<FenceState[]> {
  const res = await run<FenceRow>("fence read", {
    text: `SELECT ${FENCE_COLUMNS} FROM sc_fence WHERE $1::text IS NULL OR stream_id = $1 ORDER BY lo NULLS LAST, shardlet_id`,
    values: [streamId ?? null],
  });
  return res.rows.map(toFence);
}

export async function deleteFences(run: HostRun, shardletIds: readonly string[]): Promise<number> {
  if (shardletIds.length === 0) return 0;
  const res = await run("fence delete", {
    text: "DELETE FROM sc_fence WHERE shardlet_id = ANY($1::text[])",
    values: [shardletIds],
  });
  return res.rowCount ?? 0;
}
