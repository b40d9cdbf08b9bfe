import type { ArchiveRange, HostDriver } from "@shardcast/db";
import { checkAborted } from "../domain/abort.ts";

/** Rows per archive batch: large enough for gzip to find the payloads' shared structure. */
export const ARCHIVE_CHUNK_ROWS = 500;

export interface ArchiveProgress {
  events: number;
  batches: number;
  rawBytes: number;
  storedBytes: number;
  /** False when `maxChunks` stopped it with archivable rows left (the next run goes on). */
  complete: boolean;
}

/** Archives a range's payloads stored before `storedBefore`, batch by batch, at most `maxChunks` batches. */
export async function archiveRange(
  driver: HostDriver,
  range: ArchiveRange,
  opts: { storedBefore: number; maxChunks: number; afterSeq?: number; upToSeq?: number; signal?: AbortSignal; onChunk?: (p: ArchiveProgress) => void | Promise<void> },
): Promise<ArchiveProgress> {
  const p: ArchiveProgress = { events: 0, batches: 0, rawBytes: 0, storedBytes: 0, complete: false };
  // Where the range's archive ends: the walk starts there, not over the archived rows again.
  let afterSeq = opts.afterSeq ?? 0;
  for (let i = 0; i < opts.maxChunks; i++) {
    checkAborted(opts.signal);
    const c = await driver.archiveChunk({ ...range, storedBefore: opts.storedBefore, limit: ARCHIVE_CHUNK_ROWS, afterSeq, ...(opts.upToSeq !== undefined ? { upToSeq: opts.upToSeq } : {}) });
    if (!c) return { ...p, complete: true };
    afterSeq = c.lastSeq;
    p.events += c.events;
    p.batches += c.events > 0 ? 1 : 0;
    p.rawBytes += c.rawBytes;
    p.storedBytes += c.storedBytes;
    await opts.onChunk?.(p);
  }
  return p;
}

/** Restores a range's archived payloads, a few batches per statement round, at most `maxRounds` rounds. */
export async function restoreRange(
  driver: HostDriver,
  range: ArchiveRange,
  opts: { maxRounds: number; signal?: AbortSignal },
): Promise<{ events: number; batches: number; complete: boolean }> {
  let events = 0;
  let batches = 0;
  for (let i = 0; i < opts.maxRounds; i++) {
    checkAborted(opts.signal);
    const r = await driver.restoreChunk({ ...range, limit: 4 });
    if (r.events === 0) return { events, batches, complete: true };
    events += r.events;
    batches += r.batches;
  }
  return { events, batches, complete: false };
}
