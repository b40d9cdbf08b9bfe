import type { ReplicaDeps } from "../src/replicas/deps.ts";
import { startMigrationHarness, type MigrationHarness } from "./migration-harness.ts";

/**
 * Two hosts, one shard of two shardlets, an edge without a shard cache (every read reaches storage,
 * so a test sees where reads go), and the replica jobs' dependencies with the stream's watermark.
 */
export async function startReplicaHarness(): Promise<{ t: MigrationHarness; deps: ReplicaDeps }> {
  const t = await startMigrationHarness({ hosts: 2, shardCount: 1, shardletsPerShard: 2, readCache: { maxBytes: 0, prefetchBytesPerSec: 0 } });
  await t.settings({ chunkRows: 200, rowsPerSecond: 20_000, cleanupGraceMs: 300 });
  const deps: ReplicaDeps = { db: t.h.db, hosts: t.h.hosts, log: t.h.deps.log, clock: Date.now, watermark: t.h.deps.migration!.watermark!, announce: t.h.deps.announce! };
  return { t, deps };
}

export interface ShardletPageEvent {
  seq: number;
  id: string;
  key: string;
  payload: unknown;
}

/** Every event of a shardlet through the edge's consumer range read, page by page; 503s are retried. */
export async function readShardlet(t: MigrationHarness, shardletId: string, onPage?: (events: ShardletPageEvent[]) => void, limit = 150): Promise<{ events: ShardletPageEvent[]; covered: number }> {
  const events: ShardletPageEvent[] = [];
  for (let after = 0; ; ) {
    const res = await fetch(`${t.h.edgeUrl}/v1/streams/${t.h.stream}/shardlets/${shardletId}/events?after=${after}&limit=${limit}`, { headers: { authorization: `Bearer ${t.h.token}` } });
    if (res.status === 503) continue;
    if (res.status !== 200) throw new Error(`read failed (${res.status}): ${await res.text()}`);
    const page = (await res.json()) as { events: ShardletPageEvent[]; next: number; watermark: number };
    const got = page.events.map((e) => ({ seq: e.seq, id: e.id, key: e.key, payload: e.payload }));
    onPage?.(got);
    events.push(...got);
    if (page.next >= page.watermark || page.next === after) return { events, covered: page.next };
    after = page.next;
  }
}
