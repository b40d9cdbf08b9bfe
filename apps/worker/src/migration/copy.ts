import { ShardcastError } from "@shardcast/core";
import { deleteRangeRows, deleteRangeRowsAt, eventIdsHeldElsewhere, readRangeRows, writeCopiedRows, type CopyRow, type HeldEventId } from "@shardcast/db";
import { checkAborted } from "../domain/abort.ts";
import { withHostRetry, type MigrationContext } from "./context.ts";
import { destination } from "./destination.ts";

/** The destination fence a copy writes through: its epoch and the states it may be in. */
export interface DestFence {
  epoch: number;
  states: readonly string[];
}

export interface CopyResult {
  /** Source rows read and written (rows already on the destination count, they were skipped). */
  rows: number;
  /** Rows the destination did not have yet. */
  inserted: number;
  /** Sequence of the last row copied (afterSeq when none). */
  lastSeq: number;
}

/** Called after each chunk; return "stop" to end the copy there (cancel, window, pause). */
export type ChunkCallback = (chunk: { rows: number; inserted: number; lastSeq: number; done: boolean }) => Promise<"stop" | void>;

/**
 * Copies the source's rows of the range with afterSeq < seq <= upToSeq (no upper bound when null)
 * into the destination, in sequence order, chunk by chunk. Every chunk is idempotent (rows already
 * there are skipped) and fenced on the destination, so a copy interrupted anywhere is simply
 * repeated from its last persisted cursor.
 */
export async function copyRows(
  ctx: MigrationContext,
  q: { afterSeq: number; upToSeq: number | null; fence: DestFence; chunkRows: number; onChunk?: ChunkCallback },
): Promise<CopyResult> {
  const out: CopyResult = { rows: 0, inserted: 0, lastSeq: q.afterSeq };
  const read = (after: number): Promise<CopyRow[]> => {
    const p = withHostRetry(ctx, "copy read", () => readRangeRows(ctx.source, { ...ctx.range, afterSeq: after, upToSeq: q.upToSeq, limit: q.chunkRows }));
    // A read started ahead may be left behind when the copy stops early.
    p.catch(() => undefined);
    return p;
  };
  // The next chunk is read from the source while the current one is written to the destination.
  let next = read(q.afterSeq);
  for (;;) {
    checkAborted(ctx.signal);
    const rows = await next;
    const done = rows.length < q.chunkRows;
    if (!done) next = read(rows[rows.length - 1]!.seq);
    let inserted = 0;
    if (rows.length > 0) {
      inserted = await writeChunk(ctx, rows, q.fence);
      out.rows += rows.length;
      out.inserted += inserted;
      out.lastSeq = rows[rows.length - 1]!.seq;
    }
    const verdict = await q.onChunk?.({ rows: rows.length, inserted, lastSeq: out.lastSeq, done });
    if (done || verdict === "stop") return out;
  }
}

/** Why a migration cannot complete: the destination stores one of the range's event ids for another event (see writeChunk). */
export function eventIdTaken(err: unknown): string | null {
  return err instanceof ShardcastError && err.details?.eventIdTaken !== undefined ? err.message : null;
}

async function writeOnce(ctx: MigrationContext, rows: readonly CopyRow[], fence: DestFence): Promise<number> {
  const w = await withHostRetry(ctx, "copy write", () =>
    writeCopiedRows(destination(ctx), { streamId: ctx.range.streamId, shardletId: ctx.m.shardletId, epoch: fence.epoch, states: fence.states, rows }),
  );
  if (!w.accepted) {
    throw new ShardcastError(
      "conflict",
      `the destination's fence of shardlet ${ctx.m.shardletId} is no longer ${fence.states.join("/")} at epoch ${fence.epoch}: another run changed it`,
    );
  }
  return w.inserted;
}

/**
 * Writes one chunk; returns the rows inserted. Rows the destination skipped are normally there
 * already (same position: an earlier copy, a shadow write), but the destination also skips a row
 * whose event id it holds at another position, since a host stores an id once per stream. Inside
 * the range, that row is a stale copy (the source, authoritative for the range, holds the id at its
 * own position): it is replaced. Outside, it is another shardlet's event: the two are distinct
 * acknowledged events (ingest deduplicates ids per host, and they were stored on different hosts),
 * so they cannot both live on the destination, and re-copying would never change that: the
 * migration fails at once with the reason, the source keeping both.
 */
async function writeChunk(ctx: MigrationContext, rows: readonly CopyRow[], fence: DestFence): Promise<number> {
  let inserted = await writeOnce(ctx, rows, fence);
  if (inserted === rows.length) return inserted;
  const held = await withHostRetry(ctx, "copy id check", () => eventIdsHeldElsewhere(destination(ctx), { streamId: ctx.range.streamId, rows }));
  if (held.length === 0) return inserted;
  const foreign = held.find((h) => h.heldKeyHash < ctx.range.lo || h.heldKeyHash >= ctx.range.hi);
  if (foreign) throw idTakenError(ctx, foreign);
  await withHostRetry(ctx, "stale copy delete", () => deleteRangeRowsAt(destination(ctx), { ...ctx.range, seqs: held.map((h) => h.heldSeq) }));
  inserted += await writeOnce(ctx, rows, fence);
  return inserted;
}

function idTakenError(ctx: MigrationContext, h: HeldEventId): ShardcastError {
  const id = h.eventId.length > 120 ? `${h.eventId.slice(0, 119)}…` : h.eventId;
  return new ShardcastError(
    "conflict",
    `event id "${id}" at sequence ${h.seq} cannot be stored on the destination host ${ctx.m.destHostId}: it holds that id at sequence ${h.heldSeq} ` +
      `for a key outside the shardlet's range, and a host stores an event id once per stream; both are acknowledged events, so the shardlet cannot move there`,
    { eventIdTaken: { eventId: h.eventId, seq: h.seq, heldSeq: h.heldSeq } },
  );
}

/**
 * Makes the destination's rows of the range with afterSeq < seq <= toSeq equal to the source's:
 * deletes what the destination holds there, then copies the source's rows again. Only for ranges
 * no write can still change (below the read watermark, or with both fences closed).
 */
export async function recopyRange(
  ctx: MigrationContext,
  q: { afterSeq: number; toSeq: number | null; fence: DestFence },
): Promise<{ removed: number; inserted: number }> {
  let removed = 0;
  for (;;) {
    checkAborted(ctx.signal);
    const n = await withHostRetry(ctx, "re-copy delete", () =>
      deleteRangeRows(destination(ctx), { ...ctx.range, afterSeq: q.afterSeq, toSeq: q.toSeq, limit: ctx.settings.cleanupChunkRows }),
    );
    removed += n;
    if (n === 0) break;
  }
  const copied = await copyRows(ctx, { afterSeq: q.afterSeq, upToSeq: q.toSeq, fence: q.fence, chunkRows: ctx.settings.chunkRows });
  return { removed, inserted: copied.inserted };
}
