import { ShardcastError } from "@shardcast/core";
import type { RouteEntry } from "./routing-cache.ts";

/**
 * Tells positions no write was ever given from positions a write may hold. A reader passing one of
 * the former would otherwise get empty pages that all say "continue after it" until the stream
 * caught up, if it ever did; one of the latter (past the watermark, up to the stream's durable
 * sequence mark) may belong to a write in flight and gets an empty page. Asked only for positions
 * past the watermark (a reader at the tail passes the watermark itself) and past the highest mark
 * already read; a mark read before never refuses on its own (a write may have been given a
 * position above it since).
 */
export class IssuedPositions {
  /** streamId -> the highest durable mark read. */
  private readonly marks = new Map<string, number>();

  /** `sequenceReserved`: the stream's durable sequence mark (null: unknown stream). */
  constructor(private readonly sequenceReserved: (streamId: string) => Promise<number | null>) {}

  /** Throws `bad_request` when `after` lies past every position the stream has given out. */
  async check(entry: RouteEntry, after: number): Promise<void> {
    if (after <= (this.marks.get(entry.meta.id) ?? 0)) return;
    const mark = await this.sequenceReserved(entry.meta.id);
    if (mark === null) return;
    this.marks.set(entry.meta.id, mark);
    if (after > mark) throw new ShardcastError("bad_request", `after=${after} lies beyond every position stream "${entry.meta.name}" has given out; pass 0 or a position a read returned`);
  }
}
