import { commitCursor, type ReadAheadGate } from "@shardcast/core";
import type { ConsumerProgress, Logger, SnapshotRequest } from "@shardcast/runtime";
import type { RouteEntry } from "../routing-cache.ts";
import type { Assignment } from "./assignments.ts";
import { waitForEvents, type LongPollDeps, type PollRead } from "./long-poll.ts";
import type { RangePage, RangePart } from "./range-reader.ts";

export interface PollPageDeps extends LongPollDeps {
  progress: Pick<ConsumerProgress, "takeSnapshots" | "returnSnapshots">;
  log: Logger;
  /** Read the member's next page into the cache while it works on this one (when the reader has a cache). */
  readAhead: boolean;
  /** Whether read-aheads are used on this edge (see ReadAheadGate). */
  gate: ReadAheadGate;
}

/**
 * The page of a poll: the first read, then (a long poll) waits for the watermark to move, with the
 * member's snapshot requests taken beside it. A poll that fails puts the requests back (where no
 * newer one came meanwhile) for the next, as if it had never taken them. A page cut short of the
 * watermark has a next one, which is read into the cache while the member works on this one, while
 * such read-aheads are used on this edge (`gate`).
 */
export async function readPollPage(
  deps: PollPageDeps,
  w: PollRead & {
    /** Read for the poll's commits already; absent: the read reads it if it needs one. */
    watermark: number | undefined;
    held: Assignment[];
    /** How long the member processed its previous page, ms (its poll's figures), when it said. */
    workMs?: number | undefined;
  },
): Promise<{ page: RangePage; assignments: Assignment[]; snapshot: SnapshotRequest[] }> {
  const member = `${w.g.id}\t${w.memberId}`;
  deps.gate.polled(member, w.parts);
  const taking = deps.progress.takeSnapshots(w.g.id, w.memberId);
  let found: { page: RangePage; assignments: Assignment[] };
  try {
    const started = deps.clock();
    const first = await deps.reader.read(w.entry, w.parts, w.limit, w.reader, w.watermark);
    // A page read from the hosts times what a read-ahead would take (the gate's estimate stays
    // current while read-aheads are not made).
    if (first.cache === "miss" && first.events.size > 0) deps.gate.readTook(deps.clock() - started);
    found = await waitForEvents(deps, { ...w, page: first, assignments: w.held });
  } catch (err) {
    const taken = await taking.catch(() => []);
    await deps.progress.returnSnapshots(w.g.id, w.memberId, taken).catch((e: unknown) => deps.log.warn("snapshot requests not put back", { err: String(e) }));
    throw err;
  }
  const { page, assignments } = found;
  const snapshot = await taking;
  if (page.next < page.watermark) readAhead(deps, member, w, assignments, page.next);
  return { page, assignments, snapshot };
}

/** Where the member's next poll starts, read into the cache now; a failure costs that poll its hit only. */
function readAhead(deps: PollPageDeps, member: string, w: { entry: RouteEntry; parts: readonly RangePart[]; limit: number; workMs?: number | undefined }, held: readonly Assignment[], next: number): void {
  const reader = deps.reader;
  if (!deps.readAhead || !reader.readAhead || !deps.gate.shouldReadAhead(w.workMs)) return;
  const from = w.parts.filter((p) => held.some((a) => a.shardletId === p.shardletId)).map((p) => ({ ...p, cursor: commitCursor(p.cursor, next) }));
  deps.gate.readAhead(member, from);
  const started = deps.clock();
  reader
    .readAhead(w.entry, from, w.limit)
    .then(() => deps.gate.readTook(deps.clock() - started))
    .catch((err: unknown) => deps.log.debug("group read-ahead failed", { stream: w.entry.meta.name, err: String(err) }));
}
