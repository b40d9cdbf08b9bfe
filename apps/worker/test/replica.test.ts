import { createReplicaRecord, listReplicas, listShardlets, readReplicaRanges, recordReplicaProgress } from "@shardcast/db";
import { waitFor } from "@shardcast/db/testing";
import { readReplicaServed } from "@shardcast/runtime";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createReadReplica } from "../src/replicas/create.ts";
import type { ReplicaDeps } from "../src/replicas/deps.ts";
import { syncReplicas } from "../src/replicas/sync.ts";
import type { MigrationHarness } from "./migration-harness.ts";
import { readShardlet, startReplicaHarness } from "./replica-harness.ts";

/**
 * Read replicas against a real edge, two PostgreSQL hosts and Redis: a replica copies its
 * shardlet's rows up to the watermark but never past an undrained overflow row of its range,
 * consumers' range reads through the edge are spread over the shardlet's host and the replica and
 * always equal what the host alone returns, a replica never serves past its verified position,
 * and when the shardlet moves (here onto the replica's own host) the replica is dropped without
 * touching a row the host owns, with every acknowledged event stored exactly once.
 */

let t: MigrationHarness;
let deps: ReplicaDeps;
const readAll = async (shardletId: string) => (await readShardlet(t, shardletId)).events;

beforeAll(async () => {
  ({ t, deps } = await startReplicaHarness());
}, 60_000);

afterAll(async () => {
  await t?.close();
});

describe("read replicas", () => {
  it("serve consumers' range reads up to their verified position and are dropped cleanly when the shardlet moves", async () => {
    const shardlets = (await listShardlets(t.h.db, { streamId: t.h.streamId })).filter((s) => s.state === "active");
    const a = shardlets[0]!;
    const other = t.h.hostIds.find((id) => id !== a.hostId)!;
    await t.write(a, 600, { inRangeShare: 0.5 });
    const before = await readAll(a.id);
    expect(before.length).toBe(t.expected(a).rows);

    const replica = await createReadReplica(deps, a, other, "test");
    // An event of the range still in the shard's overflow log caps what the replica may verify:
    // the host gets it only when it is drained, after the copy may have passed its position.
    const home = await t.h.driver(a.hostId);
    const watermark = await deps.watermark!(t.h.streamId);
    const held = before[Math.floor(before.length / 2)]!.seq;
    await home.appendOverflow({ streamId: t.h.streamId, parts: [{ shardId: a.shardId, shardletId: a.id, events: [{ key: t.h.keyIn(a.lo, a.hi), keyHash: a.lo, id: null, type: "t", ts: Date.now(), payloadJson: "{}", sizeBytes: 2, seq: held }] }] });
    let sync = await syncReplicas(deps);
    expect(sync).toMatchObject({ replicas: 1, advanced: 1, failed: 0 });
    let [rec] = await listReplicas(t.h.db, { shardletId: a.id });
    expect(rec!.verifiedSeq).toBe(held - 1);
    await home.withClient((c) => c.query("DELETE FROM sc_overflow WHERE stream_id = $1 AND seq = $2", [t.h.streamId, held]));
    sync = await syncReplicas(deps);
    [rec] = await listReplicas(t.h.db, { shardletId: a.id });
    expect(rec!.verifiedSeq).toBeGreaterThanOrEqual(watermark);
    expect(rec!.events).toBe(before.length);

    // Reads go to the host and to the replica (each is read to be measured); every one equals the host's answer.
    await waitFor("the edge routes to the replica", async () => (await t.h.edge.routing.refreshById(t.h.streamId, "pubsub"))?.table.all().some((s) => (s.replicas?.length ?? 0) > 0) ?? false);
    for (let i = 0; i < 4; i++) expect(await readAll(a.id)).toEqual(before);
    await t.h.edge.replicaServed.flush();
    expect((await readReplicaServed(t.h.redis, t.h.prefix)).get(replica.id) ?? 0).toBeGreaterThan(0);

    // New events are not on the replica until the next sync: a read of it stops at its position.
    await t.write(a, 100, { inRangeShare: 1 });
    const target = await t.h.driver(other);
    const capped = await readReplicaRanges(target, { replicaId: replica.id, streamId: t.h.streamId, segments: [{ lo: a.lo, hi: a.hi, after: 0 }], maxSeq: Number.MAX_SAFE_INTEGER, limit: 10_000 });
    expect(capped.ok).toBe(true);
    expect(capped.completeTo).toBe(rec!.verifiedSeq);
    expect(Math.max(...capped.events.map((e) => e.seq))).toBeLessThanOrEqual(rec!.verifiedSeq);
    const grown = await readAll(a.id);
    expect(grown.length).toBe(t.expected(a).rows);
    expect(await readAll(a.id)).toEqual(grown);

    // The shardlet moves onto the replica's host: the replica is dropped, the moved rows stay.
    const id = await t.approve(a.id, other);
    await t.runToEnd(id);
    expect((await t.migration(id)).phase).toBe("done");
    sync = await syncReplicas(deps);
    expect(sync).toMatchObject({ dropped: 1, failed: 0 });
    expect(await listReplicas(t.h.db, { shardletId: a.id })).toEqual([]);
    const left = await target.withClient((c) => c.query<{ n: string }>("SELECT count(*) AS n FROM sc_replica_events WHERE replica_id = $1", [replica.id]));
    expect(Number(left.rows[0]!.n)).toBe(0);
    expect(await t.onHost(other, a)).toEqual(t.expected(a));
    const dropped = await readReplicaRanges(target, { replicaId: replica.id, streamId: t.h.streamId, segments: [{ lo: a.lo, hi: a.hi, after: 0 }], maxSeq: 1e9, limit: 10 });
    expect(dropped.ok).toBe(false);
    expect(await readAll(a.id)).toEqual(grown);
    const report = await t.h.check();
    expect(report).toMatchObject({ missing: [], unexpected: [], duplicateSeqs: 0, misplaced: 0 });
    expect(report.checksumStored).toBe(report.checksumAcked);
  });

  it("serves every read from the shardlet's host while a replica's host cannot be reached", async () => {
    const b = (await listShardlets(t.h.db, { streamId: t.h.streamId })).filter((s) => s.state === "active").find((s) => s.hostId === t.h.hostIds[0]) ??
      (await listShardlets(t.h.db, { streamId: t.h.streamId })).find((s) => s.state === "active")!;
    await t.write(b, 100, { inRangeShare: 1 });
    const before = await readAll(b.id);
    // A replica recorded as ready on a host the edge cannot open (as after the host was removed).
    const ghost = await createReplicaRecord(t.h.db, { streamId: t.h.streamId, shardletId: b.id, hostId: "gone-host", sourceHostId: b.hostId, epoch: b.epoch, lo: b.lo, hi: b.hi, reason: "test" });
    await recordReplicaProgress(t.h.db, ghost.id, { verifiedSeq: before.at(-1)!.seq, events: before.length, bytes: 0 });
    await waitFor("the edge routes to the replica", async () => (await t.h.edge.routing.refreshById(t.h.streamId, "pubsub"))?.table.all().some((s) => s.id === b.id && (s.replicas?.length ?? 0) > 0) ?? false);
    for (let i = 0; i < 4; i++) {
      const res = await fetch(`${t.h.edgeUrl}/v1/streams/${t.h.stream}/shardlets/${b.id}/events?after=0&limit=1000`, { headers: { authorization: `Bearer ${t.h.token}` } });
      expect(res.status).toBe(200);
      const page = (await res.json()) as { events: Array<{ seq: number; id: string }> };
      expect(page.events.map((e) => [e.seq, e.id])).toEqual(before.map((e) => [e.seq, e.id]));
    }
    // The sync job finds the replica's host gone and deletes the record (its rows went with the host).
    expect(await syncReplicas(deps)).toMatchObject({ dropped: 1, failed: 0 });
    expect(await listReplicas(t.h.db, { shardletId: b.id })).toEqual([]);
  });
});
