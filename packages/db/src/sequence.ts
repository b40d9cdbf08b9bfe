import { ShardcastError } from "@shardcast/core";
import type { ControlDb } from "./client.ts";
import { num } from "./errors.ts";

/**
 * A stream's durable sequence high-water mark: no position above it has been handed out (null: no
 * such stream).
 */
export async function getSequenceReserved(db: ControlDb, streamId: string): Promise<number | null> {
  const rows = await db.$queryRaw<Array<{ seq_reserved: bigint }>>`SELECT seq_reserved FROM streams WHERE id = ${streamId}`;
  const row = rows[0];
  return row ? num(row.seq_reserved) : null;
}

/**
 * Raises a stream's durable sequence high-water mark to at least `atLeast + step` and returns it.
 * One atomic UPDATE, so concurrent callers each get a mark above every mark handed out before.
 */
export async function reserveSequence(db: ControlDb, streamId: string, atLeast: number, step: number): Promise<number> {
  if (!Number.isSafeInteger(atLeast) || atLeast < 0) throw new ShardcastError("bad_request", "atLeast must be a non-negative integer");
  if (!Number.isSafeInteger(step) || step <= 0) throw new ShardcastError("bad_request", "step must be a positive integer");
  const rows = await db.$queryRaw<Array<{ seq_reserved: bigint }>>`
    UPDATE streams SET seq_reserved = GREATEST(seq_reserved, ${atLeast}::bigint) + ${step}::bigint
    WHERE id = ${streamId}
    RETURNING seq_reserved`;
  const row = rows[0];
  if (!row) throw new ShardcastError("not_found", `unknown stream ${streamId}`);
  return num(row.seq_reserved);
}
