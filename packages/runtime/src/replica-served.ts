import type { Redis } from "ioredis";

/**
 * Events each read replica served, summed over every edge since the replica was made: what the
 * placement job rewards a replication with. A Redis hash per prefix; a replica's count goes when
 * it is dropped. Losing it loses one reward, never data.
 */
export const replicaServedKey = (prefix: string) => `${prefix}:replicas:served`;

export async function addReplicaServed(redis: Redis, prefix: string, counts: ReadonlyMap<string, number>): Promise<void> {
  if (counts.size === 0) return;
  const tx = redis.multi();
  for (const [id, events] of counts) tx.hincrby(replicaServedKey(prefix), id, events);
  await tx.exec();
}

export async function readReplicaServed(redis: Redis, prefix: string): Promise<Map<string, number>> {
  const all = await redis.hgetall(replicaServedKey(prefix));
  return new Map(Object.entries(all).map(([id, n]) => [id, Number(n)]));
}

export async function forgetReplicaServed(redis: Redis, prefix: string, replicaIds: readonly string[]): Promise<void> {
  if (replicaIds.length === 0) return;
  await redis.hdel(replicaServedKey(prefix), ...replicaIds);
}
