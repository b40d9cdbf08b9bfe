import { listReplicas, listShardlets } from "@shardcast/db";
import { readReplicaServed } from "@shardcast/runtime";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createReadReplica } from "../src/replicas/create.ts";
import type { ReplicaDeps } from "../src/replicas/deps.ts";
import { syncReplicas } from "../src/replicas/sync.ts";
import type { MigrationHarness } from "./migration-harness.ts";
import { readShardlet, startReplicaHarness } from "./replica-harness.ts";

/**
 * A replicated shardlet under concurrent ingest, a sync loop and a migration of the shardlet onto
 * the replica's host, read all the while by consumers' range reads through the edge: every read
 * returns each position once, only acknowledged events, and every event acknowledged before the
 * read began up to the position the read reached; at the end every acknowledged event is stored
 * once (count and checksum) and the replica is gone.
 */

let t: MigrationHarness;
let deps: ReplicaDeps;

beforeAll(async () => {
  ({ t, deps } = await startReplicaHarness());
  await t.settings({ chunkRows: 200, rowsPerSecond: 5_000, cleanupGraceMs: 300 });
}, 60_000);

afterAll(async () => {
  await t?.close();
});

describe("a replicated shardlet under ingest, sync and a move", () => {
  it("serves complete, exact range reads in every phase and ends with every event once", async () => {
    const a = (await listShardlets(t.h.db, { streamId: t.h.streamId })).find((s) => s.state === "active")!;
    const other = t.h.hostIds.find((id) => id !== a.hostId)!;
    await t.write(a, 400, { inRangeShare: 1 });
    const replica = await createReadReplica(deps, a, other, "test");
    await syncReplicas(deps);

    let stopped = false;
    const syncer = (async () => {
      while (!stopped) await syncReplicas(deps);
    })();
    const problems: string[] = [];
    let reads = 0;
    const waiters: Array<{ at: number; resolve: () => void }> = [];
    const returned = new Map<number, string>();
    const reader = (async () => {
      while (!stopped) {
        const before = [...t.h.acked.values()].filter((x) => x.shardletId === a.id);
        const seen = new Map<number, string>();
        const { covered } = await readShardlet(
          t,
          a.id,
          (page) => {
            for (const e of page) {
              if (seen.has(e.seq)) problems.push(`read ${reads}: seq ${e.seq} twice`);
              seen.set(e.seq, e.id);
              returned.set(e.seq, e.id);
            }
          },
          250,
        );
        for (const x of before) if (x.seq <= covered && seen.get(x.seq) !== x.id) problems.push(`read ${reads}: acknowledged ${x.id} at ${x.seq} missing (covered ${covered})`);
        reads++;
        for (const w of waiters.filter((x) => reads >= x.at)) w.resolve();
      }
    })();
    const producer = t.produceWhile(a, { producers: 1 });

    const readsAt = (n: number) => new Promise<void>((resolve) => waiters.push({ at: reads + n, resolve }));
    await readsAt(5);
    const id = await t.approve(a.id, other);
    await t.runToEnd(id);
    expect((await t.migration(id)).phase).toBe("done");
    await readsAt(5);
    stopped = true;
    await Promise.all([syncer, reader, producer.stop()]);
    await syncReplicas(deps);

    expect(problems).toEqual([]);
    expect(reads).toBeGreaterThanOrEqual(10);
    // Every event a read returned was acknowledged at that position.
    const acked = new Map([...t.h.acked.values()].map((x) => [x.seq, x.id]));
    for (const [seq, eventId] of returned) expect(acked.get(seq), `seq ${seq}`).toBe(eventId);
    await t.h.edge.replicaServed.flush();
    expect((await readReplicaServed(t.h.redis, t.h.prefix)).get(replica.id) ?? 0).toBeGreaterThan(0);
    expect(await listReplicas(t.h.db)).toEqual([]);
    const report = await t.h.check();
    expect(report).toMatchObject({ missing: [], unexpected: [], duplicateSeqs: 0, misplaced: 0 });
    expect(report.checksumStored).toBe(report.checksumAcked);
  });
});
