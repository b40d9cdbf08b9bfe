import { ShardcastError, sleep, type MemberTelemetry } from "@shardcast/core";
import { getConsumerGroupState, touchConsumerMember, type ConsumerGroupInfo, type ControlDb } from "@shardcast/db";
import type { SequenceAllocator } from "@shardcast/runtime";
import type { RouteEntry } from "../routing-cache.ts";
import type { ReaderIdentity } from "../telemetry/counters.ts";
import type { RangeSource } from "../cache/cached-reader.ts";
import type { RangePage, RangePart } from "./range-reader.ts";

/** How often a long poll looks at the watermark. */
const WATERMARK_CHECK_MS = 100;

export interface LongPollDeps {
  db: ControlDb;
  sequences: SequenceAllocator;
  reader: RangeSource;
  clock: () => number;
}

/**
 * Heartbeats go to the control database at most once a second per member, with the telemetry the
 * poll carried (a member polling faster is stored at the same pace: the next one is fresher);
 * returns when it was last recorded.
 */
export async function touchMember(deps: Pick<LongPollDeps, "db" | "clock">, memberId: string, lastSeenAt: number, telemetry?: MemberTelemetry): Promise<number> {
  if (deps.clock() - lastSeenAt < 1_000) return lastSeenAt;
  const now = deps.clock();
  await touchConsumerMember(deps.db, memberId, new Date(now), telemetry);
  return now;
}

/** What a poll reads: a member's parts, as which reader, until when. */
export interface PollRead {
  entry: RouteEntry;
  g: ConsumerGroupInfo;
  memberId: string;
  /** When the member was last recorded as seen. */
  seenAt: number;
  deadline: number;
  parts: readonly RangePart[];
  limit: number;
  reader: ReaderIdentity | undefined;
}

/**
 * A long poll: while the page is empty, waits for the watermark to move and reads again, until
 * the deadline. A poll that waited answers only for the assignments its member still holds.
 */
export async function waitForEvents<A extends { shardletId: string; generation: number }>(
  deps: LongPollDeps,
  w: PollRead & { page: RangePage; assignments: A[] },
): Promise<{ page: RangePage; assignments: A[] }> {
  let { page, seenAt } = w;
  let waited = false;
  while (page.events.size === 0 && w.parts.length > 0 && deps.clock() < w.deadline) {
    waited = true;
    seenAt = await waitForWatermark(deps, w.entry.meta.id, page.watermark, w.deadline, w.memberId, seenAt);
    page = await deps.reader.read(w.entry, w.parts, w.limit, w.reader);
  }
  // While the poll waited, another member's poll may have handed a shardlet on (its hand-off
  // deadline passed: the holder was waiting here, not committing) or a split may have replaced
  // one. Events of a shardlet the member no longer holds, as it held it, would be read twice.
  return { page, assignments: waited ? await stillHeld(deps, w.g, w.memberId, w.assignments) : w.assignments };
}

/**
 * Until the watermark passes `seen` or the deadline. The watermark lives in Redis and costs one
 * script call, so checking it a few times a second is cheaper than a subscription per poll.
 * The member is seen meanwhile (a poll may wait longer than a short session lasts, and the SDK
 * does not heartbeat while its poll is open); returns when it was last recorded.
 */
async function waitForWatermark(deps: LongPollDeps, streamId: string, seen: number, deadline: number, memberId: string, seenAt: number): Promise<number> {
  while (deps.clock() < deadline) {
    await sleep(Math.min(WATERMARK_CHECK_MS, Math.max(1, deadline - deps.clock())));
    seenAt = await touchMember(deps, memberId, seenAt);
    if ((await deps.sequences.watermark(streamId)) > seen) break;
  }
  return seenAt;
}

/** The assignments the member still holds with the same generation; `not_found` when it is gone. */
async function stillHeld<A extends { shardletId: string; generation: number }>(deps: LongPollDeps, g: ConsumerGroupInfo, memberId: string, assignments: A[]): Promise<A[]> {
  const now = await getConsumerGroupState(deps.db, g.id);
  if (!now?.members.some((m) => m.id === memberId)) {
    throw new ShardcastError("not_found", `member "${memberId}" left group "${g.name}" while its poll waited: join again`);
  }
  const held = new Set(now.assignments.filter((a) => a.memberId === memberId).map((a) => `${a.shardletId}\u0000${a.generation}`));
  return assignments.filter((a) => held.has(`${a.shardletId}\u0000${a.generation}`));
}
