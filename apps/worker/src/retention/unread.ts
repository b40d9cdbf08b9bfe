import { freshCursor, HASH_SPACE, maxCursor, type Cursor } from "@shardcast/core";
import { getDurableCheckpoints, listConsumerGroups, unreadBetween, type ConsumerGroupInfo, type ControlDb } from "@shardcast/db";
import type { ConsumerProgress } from "@shardcast/runtime";
import type { HostView } from "./starts.ts";

/**
 * How far a group has read, over the whole key-hash space: the pointwise highest of every cursor it
 * holds (Redis, ahead of the durable checkpoints) and every durable checkpoint, retired shardlets'
 * included (a split's child without a cursor of its own was read through its parent's), and the
 * group's own start where it never read. Cursors only claim processed events, so the highest claim
 * for a range is as true as any.
 */
async function readFrontier(db: ControlDb, progress: ConsumerProgress | undefined, g: ConsumerGroupInfo): Promise<Cursor> {
  const [durable, live] = await Promise.all([getDurableCheckpoints(db, g.id), progress ? progress.readAll(g.id) : Promise.resolve(new Map<string, Cursor>())]);
  let frontier = freshCursor(0, HASH_SPACE, g.startSeq);
  for (const d of durable.values()) frontier = maxCursor(frontier, d.cursor);
  for (const c of live.values()) frontier = maxCursor(frontier, c);
  return frontier;
}

/**
 * Per group of a stream, the events a move of its start from `fromSeq` to `toSeq` forgets before
 * the group read them, counted on every host holding the stream while the rows are still there
 * (before any partition is dropped). A group that read past `toSeq` costs no host query.
 */
export async function countExpiredUnread(
  db: ControlDb,
  progress: ConsumerProgress | undefined,
  move: { streamId: string; fromSeq: number; toSeq: number },
  holders: readonly HostView[],
): Promise<Array<{ groupId: string; events: number }>> {
  if (move.toSeq <= move.fromSeq) return [];
  const out: Array<{ groupId: string; events: number }> = [];
  for (const g of await listConsumerGroups(db, move.streamId)) {
    const behind = (await readFrontier(db, progress, g)).filter((s) => s.after < move.toSeq - 1);
    if (behind.length === 0) continue;
    const counts = await Promise.all(holders.map((h) => unreadBetween(h.driver, move.streamId, behind, move.fromSeq, move.toSeq)));
    const events = counts.reduce((a, b) => a + b, 0);
    if (events > 0) out.push({ groupId: g.id, events });
  }
  return out;
}

