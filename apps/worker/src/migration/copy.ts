import { ShardcastError } from "@shardcast/core";
import { deleteRangeRows, readRangeRows, writeCopiedRows, type CopyRow } from "@shardcast/db";
import { checkAborted } from "../domain/abort.ts";
import { withHostRetry, type MigrationContext } from "./context.ts";

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
      const w = await withHostRetry(ctx, "copy write", () =>
        writeCopiedRows(ctx.dest, { streamId: ctx.range.streamId, shardletId: ctx.m.shardletId, epoch: q.fence.epoch, states: q.fence.states, rows }),
      );
      if (!w.accepted) {
        throw new ShardcastError(
          "conflict",
          `the destination's fence of shardlet ${ctx.m.shardletId} is no longer ${q.fence.states.join("/")} at epoch ${q.fence.epoch}: another run changed it`,
        );
      }
      inserted = w.inserted;
      out.rows += rows.length;
      out.inserted += inserted;
      out.lastSeq = rows[rows.length - 1]!.seq;
    }
    const verdict = await q.onChunk?.({ rows: rows.length, inserted, lastSeq: out.lastSeq, done });
    if (done || verdict === "stop") return out;
  }
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
      deleteRangeRows(ctx.dest, { ...ctx.range, afterSeq: q.afterSeq, toSeq: q.toSeq, limit: ctx.settings.cleanupChunkRows }),
    );
    removed += n;
    if (n === 0) break;
  }
  const copied = await copyRows(ctx, { afterSeq: q.afterSeq, upToSeq: q.toSeq, fence: q.fence, chunkRows: ctx.settings.chunkRows });
  return { removed, inserted: copied.inserted };
}
