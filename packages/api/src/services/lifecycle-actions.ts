import { ShardcastError, type FencedShardlet } from "@shardcast/core";
import { findUnfinishedLifecycleJob, getShardletRow, type ControlDb } from "@shardcast/db";

/** What a manual split or merge needs to know about a shardlet, checked before a job is queued. */
export type ActionShardlet = FencedShardlet;

async function load(db: ControlDb, id: string): Promise<ActionShardlet> {
  const r = await getShardletRow(db, id);
  if (!r) throw new ShardcastError("not_found", `Shardlet ${id} does not exist.`);
  return { id: r.id, streamId: r.streamId, shardId: r.shardId, hostId: r.hostId, lo: Number(r.lo), hi: Number(r.hi), state: r.state, epoch: r.epoch };
}

async function requireIdle(db: ControlDb, s: ActionShardlet, what: string): Promise<void> {
  if (s.state !== "active") throw new ShardcastError("conflict", `${what} is ${s.state}; only an active shardlet can change.`, { state: s.state });
  // A planned job has not changed the state yet; a second request would only wait for it.
  const job = await findUnfinishedLifecycleJob(db, s.id);
  if (job) throw new ShardcastError("conflict", `${what} is already being changed by a ${job.kind} (phase ${job.phase}).`, { jobId: job.id });
}

export async function shardletForSplit(db: ControlDb, id: string): Promise<ActionShardlet> {
  const s = await load(db, id);
  await requireIdle(db, s, "This shardlet");
  if (s.hi - s.lo < 2) throw new ShardcastError("conflict", "This shardlet covers a single hash and cannot split.");
  return s;
}

/**
 * Both shardlets of a merge: `rightId` must be the live shardlet that starts where `leftId` ends,
 * in the same shard and on the same host, and both must be active.
 */
export async function shardletsForMerge(db: ControlDb, leftId: string, rightId: string): Promise<{ left: ActionShardlet; right: ActionShardlet }> {
  const [left, right] = await Promise.all([load(db, leftId), load(db, rightId)]);
  if (left.streamId !== right.streamId || left.hi !== right.lo) {
    throw new ShardcastError("conflict", "The shardlets are not adjacent: the right one must start where the left one ends.");
  }
  if (left.shardId !== right.shardId) throw new ShardcastError("conflict", "The shardlets belong to different shards and cannot merge.");
  if (left.hostId !== right.hostId) throw new ShardcastError("conflict", "The shardlets live on different hosts and cannot merge.");
  await requireIdle(db, left, "The left shardlet");
  await requireIdle(db, right, "The right neighbour");
  return { left, right };
}
