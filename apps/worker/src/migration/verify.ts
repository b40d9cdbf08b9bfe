import { ShardcastError } from "@shardcast/core";
import { digestsIn, sourceDigests, type SeqRangeDigest } from "@shardcast/db";
import { checkAborted } from "../domain/abort.ts";
import { withHostRetry, type MigrationContext } from "./context.ts";
import { recopyRange, type DestFence } from "./copy.ts";
import { destination } from "./destination.ts";

/** Verification compares this many ranges per pair of statements. */
const RANGES_PER_SLICE = 16;
/** A range that still differs after this many re-copies stops the run (something else writes there). */
const MAX_REPAIRS = 3;

export interface VerifyResult {
  /** Source rows compared. */
  rows: number;
  /** Sequence ranges compared. */
  ranges: number;
  /** Ranges whose count or checksum differed (each was re-copied). */
  differing: Array<{ afterSeq: number; toSeq: number | null; sourceRows: number; destRows: number }>;
  /** Destination rows replaced and rows the re-copies added. */
  removed: number;
  inserted: number;
}

/** Ranges whose count or digest differ between the two sides (aligned arrays). */
export function differingRanges(
  source: readonly SeqRangeDigest[],
  dest: ReadonlyArray<{ rows: number; digest: string }>,
): Array<{ range: SeqRangeDigest; destRows: number }> {
  const out: Array<{ range: SeqRangeDigest; destRows: number }> = [];
  source.forEach((s, i) => {
    const d = dest[i];
    if (!d || d.rows !== s.rows || d.digest !== s.digest) out.push({ range: s, destRows: d?.rows ?? 0 });
  });
  return out;
}

/**
 * Compares the range's rows with afterSeq < seq <= upToSeq (no upper bound when null) on the
 * source and the destination by count and checksum per sequence range of `verifyRangeRows` source
 * rows, and re-copies every range that differs until it matches. What the caller passes must be
 * settled on both sides: below the read watermark while writes go on, or anything once both
 * fences are closed.
 */
export async function verifyAndRepair(
  ctx: MigrationContext,
  q: { afterSeq: number; upToSeq: number | null; fence: DestFence },
): Promise<VerifyResult> {
  const bucketRows = ctx.settings.verifyRangeRows;
  const out: VerifyResult = { rows: 0, ranges: 0, differing: [], removed: 0, inserted: 0 };
  let after = q.afterSeq;
  for (;;) {
    checkAborted(ctx.signal);
    const from = after;
    const slice = await withHostRetry(ctx, "verify (source)", () =>
      sourceDigests(ctx.source, { ...ctx.range, afterSeq: from, upToSeq: q.upToSeq, bucketRows, maxRows: bucketRows * RANGES_PER_SLICE }),
    );
    const ranges = slice.buckets.map((b) => ({ afterSeq: b.afterSeq, toSeq: b.toSeq }));
    const dest = await withHostRetry(ctx, "verify (destination)", () => digestsIn(destination(ctx), { ...ctx.range, ranges }));
    out.ranges += slice.buckets.length;
    for (const b of slice.buckets) out.rows += b.rows;
    for (const { range, destRows } of differingRanges(slice.buckets, dest)) {
      out.differing.push({ afterSeq: range.afterSeq, toSeq: range.toSeq, sourceRows: range.rows, destRows });
      await repair(ctx, range, q.fence, out);
    }
    const last = slice.buckets[slice.buckets.length - 1];
    if (slice.complete || !last || last.toSeq === null) return out;
    after = last.toSeq;
  }
}

/** Re-copies one range until both sides agree on it (compared afresh on both after each re-copy). */
async function repair(ctx: MigrationContext, range: SeqRangeDigest, fence: DestFence, out: VerifyResult): Promise<void> {
  const bounds = [{ afterSeq: range.afterSeq, toSeq: range.toSeq }];
  for (let attempt = 1; ; attempt++) {
    const r = await recopyRange(ctx, { afterSeq: range.afterSeq, toSeq: range.toSeq, fence });
    out.removed += r.removed;
    out.inserted += r.inserted;
    const [src, dst] = await Promise.all([
      withHostRetry(ctx, "verify (source)", () => digestsIn(ctx.source, { ...ctx.range, ranges: bounds })),
      withHostRetry(ctx, "verify (destination)", () => digestsIn(destination(ctx), { ...ctx.range, ranges: bounds })),
    ]);
    const s = src[0];
    const d = dst[0];
    if (s && d && s.rows === d.rows && s.digest === d.digest) return;
    if (attempt >= MAX_REPAIRS) {
      throw new ShardcastError(
        "conflict",
        `sequence range (${range.afterSeq}, ${range.toSeq ?? "end"}] still differs after ${attempt} re-copies (${s?.rows ?? 0} rows on the source, ${d?.rows ?? 0} on the destination)`,
      );
    }
  }
}
