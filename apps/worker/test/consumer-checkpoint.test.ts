import { CONSUMER_SETTINGS_KEY, freshCursor } from "@shardcast/core";
import { ensureConsumerGroup, findConsumerGroup, getConsumerGroupState, getDurableCheckpoints, listCheckpointLog, listShardlets, updateSetting } from "@shardcast/db";
import { ConsumerProgress } from "@shardcast/runtime";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runConsumerCheckpoint } from "../src/consumers/checkpoint.ts";
import { LAG_REUSE_MS, LagMemo } from "../src/consumers/lag-memo.ts";
import { callEdge, startLifecycleHarness, type LifecycleHarness } from "./lifecycle-harness.ts";

/**
 * The checkpoint job against a real edge, PostgreSQL and Redis: a shardlet whose consumer
 * processed enough to pass the predicted-replay threshold is checkpointed (with its reason and a
 * snapshot request for its holder), a quiet one is not, and when Redis loses every key the group
 * resumes from the durable checkpoints: events since then come again, none is skipped.
 */

let h: LifecycleHarness;
let progress: ConsumerProgress;
const group = "ckpt";

interface Batch {
  shardletId: string;
  generation: number;
  events: Array<{ id: string; seq: number; key: string }>;
  next: number;
}
interface PollAnswer {
  assignments: Array<{ shardletId: string; lo: number; hi: number }>;
  batches: Batch[];
  snapshot: Array<{ shardletId: string; position: number; reason: string }>;
}

const call = <T>(method: string, path: string, body?: unknown) => callEdge<T>(h, method, path, body);

beforeAll(async () => {
  h = await startLifecycleHarness({ hosts: 2, shardCount: 2, shardletsPerShard: 1 });
  progress = new ConsumerProgress(h.redis, h.prefix);
  // 10 ms an event and a 1 s threshold: 100 processed events are worth a checkpoint, 5 are not.
  await updateSetting(h.db, CONSUMER_SETTINGS_KEY, { checkpointThresholdSec: 1, maxReplaySec: 60, predictionHorizonSec: 1, defaultReplayMsPerEvent: 10 }, null);
});

afterAll(async () => {
  await h?.close();
});

describe("consumer.checkpoint", () => {
  it("checkpoints a busy shardlet, leaves a quiet one alone, and survives Redis losing its keys", async () => {
    const joined = await call<{ memberId: string; assignments: Array<{ shardletId: string; lo: number; hi: number }> }>("POST", `/groups/${group}/members`, { name: "m1" });
    expect(joined.status).toBe(201);
    const [busy, quiet] = joined.body.assignments;
    expect(busy && quiet).toBeTruthy();
    // 200 events for the busy shardlet, 5 for the quiet one.
    const batch = [...Array.from({ length: 200 }, () => ({ key: h.keyIn(busy!.lo, busy!.hi), id: h.nextId() })), ...Array.from({ length: 5 }, () => ({ key: h.keyIn(quiet!.lo, quiet!.hi), id: h.nextId() }))];
    await h.produce(batch);

    const member = joined.body.memberId;
    const delivered = new Map<string, number>();
    let commits: Array<Record<string, unknown>> = [];
    const pollAll = async () => {
      for (let i = 0; i < 20; i++) {
        const res = await call<PollAnswer>("POST", `/groups/${group}/members/${member}/poll`, { commits, limit: 1000 });
        expect(res.status).toBe(200);
        for (const b of res.body.batches) for (const e of b.events) delivered.set(e.id, (delivered.get(e.id) ?? 0) + 1);
        commits = res.body.batches.map((b) => ({ shardletId: b.shardletId, generation: b.generation, position: b.next, events: b.events.length }));
        if (res.body.batches.every((b) => b.events.length === 0)) return res.body;
      }
      throw new Error("the group did not drain");
    };
    await pollAll();
    expect(delivered.size).toBe(205);

    const g = (await findConsumerGroup(h.db, h.streamId, group))!;
    const r = await runConsumerCheckpoint(h.deps, { progress, decisionIntervalSec: 1 });
    expect(r.checkpoints).toBe(1);
    const durable = await getDurableCheckpoints(h.db, g.id);
    const maxBusy = Math.max(...batch.slice(0, 200).map((e) => h.acked.get(e.id)!.seq));
    expect(durable.get(busy!.shardletId)!.position).toBeGreaterThanOrEqual(maxBusy);
    // The quiet shardlet keeps its first-assignment checkpoint: 5 events are not worth one.
    expect(durable.get(quiet!.shardletId)!.position).toBe(0);
    const log = await listCheckpointLog(h.db, { groupId: g.id, limit: 10 });
    const taken = log.find((e) => e.trigger === "predicted");
    expect(taken).toMatchObject({ shardletId: busy!.shardletId, eventsSince: 200 });
    expect(taken!.reason).toMatch(/^predicted replay 2 s > 1 s$/);
    // The holder is told to snapshot its state at the checkpointed position.
    const next = await call<PollAnswer>("POST", `/groups/${group}/members/${member}/poll`, { commits });
    expect(next.body.snapshot).toEqual([expect.objectContaining({ shardletId: busy!.shardletId, position: durable.get(busy!.shardletId)!.position })]);

    // Redis loses every key of the deployment (a restart without persistence).
    const keys = await h.redis.keys(`${h.prefix}:cg:*`);
    expect(keys.length).toBeGreaterThan(0);
    await h.redis.del(...keys);
    delivered.clear();
    commits = [];
    await pollAll();
    // Only the quiet shardlet's events (after its last checkpoint) come again; nothing is skipped.
    const again = [...delivered.keys()].sort();
    expect(again).toEqual(batch.slice(200).map((e) => e.id).sort());
  });

  it("counts on the host what a member processed when its commits do not say", async () => {
    // A client over plain HTTP may leave `events` out of its commits: the replay still counts.
    const raw = "ckpt-raw";
    const joined = await call<{ memberId: string; assignments: Array<{ shardletId: string; lo: number; hi: number }> }>("POST", `/groups/${raw}/members`, { name: "raw", start: "latest" });
    expect(joined.status).toBe(201);
    const [target, other] = joined.body.assignments;
    const batch = [...Array.from({ length: 150 }, () => ({ key: h.keyIn(target!.lo, target!.hi), id: h.nextId() })), ...Array.from({ length: 5 }, () => ({ key: h.keyIn(other!.lo, other!.hi), id: h.nextId() }))];
    await h.produce(batch);
    const member = joined.body.memberId;
    let commits: Array<Record<string, unknown>> = [];
    let seen = 0;
    for (let i = 0; i < 20 && seen < batch.length; i++) {
      const res = await call<PollAnswer>("POST", `/groups/${raw}/members/${member}/poll`, { commits, limit: 1000 });
      expect(res.status).toBe(200);
      seen += res.body.batches.reduce((n, b) => n + b.events.length, 0);
      commits = res.body.batches.filter((b) => b.events.length > 0).map((b) => ({ shardletId: b.shardletId, generation: b.generation, position: b.next }));
    }
    expect(seen).toBe(batch.length);
    expect((await call("POST", `/groups/${raw}/members/${member}/commit`, { commits })).status).toBe(200);

    const g = (await findConsumerGroup(h.db, h.streamId, raw))!;
    await runConsumerCheckpoint(h.deps, { progress, decisionIntervalSec: 1 });
    const log = await listCheckpointLog(h.db, { groupId: g.id, limit: 10 });
    // 150 events at 10 ms each pass the 1 s threshold; the 5 of the other shardlet do not.
    expect(log.filter((e) => e.trigger !== "lineage").map((e) => ({ shardletId: e.shardletId, eventsSince: e.eventsSince }))).toEqual([{ shardletId: target!.shardletId, eventsSince: 150 }]);
    const maxTarget = Math.max(...batch.slice(0, 150).map((e) => h.acked.get(e.id)!.seq));
    expect((await getDurableCheckpoints(h.db, g.id)).get(target!.shardletId)!.position).toBeGreaterThanOrEqual(maxTarget);
  });

  it("scans a shardlet's lag on its host only when the group's cursor or the shardlet's events changed", async () => {
    const name = "ckpt-lag";
    const joined = await call<{ memberId: string; assignments: Array<{ shardletId: string; lo: number; hi: number }> }>("POST", `/groups/${name}/members`, { name: "lagger" });
    expect(joined.status).toBe(201);
    const [moving] = joined.body.assignments;
    await h.produce(Array.from({ length: 30 }, () => ({ key: h.keyIn(moving!.lo, moving!.hi), id: h.nextId() })));
    const g = (await findConsumerGroup(h.db, h.streamId, name))!;
    const lagOf = async () => new Map((await getConsumerGroupState(h.db, g.id))!.assignments.map((a) => [a.shardletId, a.lagEvents]));
    const memo = new LagMemo();
    const run = (deps = h.deps) => runConsumerCheckpoint(deps, { progress, lagMemo: memo, decisionIntervalSec: 1 });

    const first = await run();
    expect(first.lagScans).toBeGreaterThan(0);
    const measured = await lagOf();
    // Nothing changed: every figure is the one just measured, and no host is scanned.
    const second = await run();
    expect(second).toMatchObject({ lagScans: 0, lagReused: first.lagScans + first.lagReused });
    expect(await lagOf()).toEqual(measured);

    // The member reads and commits 10 events of one shardlet: that shardlet alone is scanned again.
    const polled = await call<PollAnswer>("POST", `/groups/${name}/members/${joined.body.memberId}/poll`, { limit: 10 });
    const read = polled.body.batches.find((b) => b.shardletId === moving!.shardletId)!;
    expect(read.events.length).toBe(10);
    const commits = [{ shardletId: read.shardletId, generation: read.generation, position: read.next, events: 10 }];
    expect((await call("POST", `/groups/${name}/members/${joined.body.memberId}/commit`, { commits })).status).toBe(200);
    const third = await run();
    expect(third.lagScans).toBe(1);
    expect((await lagOf()).get(moving!.shardletId)).toBe(measured.get(moving!.shardletId)! - 10);

    // A figure is reused for LAG_REUSE_MS at most: the accounted event count trails the writes.
    const later = await run({ ...h.deps, clock: () => Date.now() + LAG_REUSE_MS + 1_000 });
    expect(later).toMatchObject({ lagScans: first.lagScans + first.lagReused, lagReused: 0 });
  });

  it("forgets what Redis holds of retired shardlets the group no longer has, and nothing else", async () => {
    // A reconcile that stopped after its commit left a retired shardlet's cursor, count and fence.
    const g = await ensureConsumerGroup(h.db, { streamId: h.streamId, name: "ckpt-stray", startSeq: 0 });
    const [active, retired] = await listShardlets(h.db, { streamId: h.streamId });
    // Retired as a split or merge leaves it (the last test: the other groups keep their shardlets).
    await h.db.shardlet.update({ where: { id: retired!.id }, data: { state: "retired" } });
    const cursor = freshCursor(0, 10, 5);
    const ids = [active!.id, retired!.id, "sl-deleted"];
    await progress.setCursors(g.id, ids.map((shardletId) => ({ shardletId, expected: null, next: cursor, processed: 3 })));
    expect(await progress.storedShardlets(g.id)).toEqual(new Set(ids));

    await runConsumerCheckpoint(h.deps, { progress, decisionIntervalSec: 1 });
    // The active one is not the group's in what the job read, but a reconcile may have just given it.
    expect(await progress.storedShardlets(g.id)).toEqual(new Set([active!.id]));
    expect((await progress.read(g.id, [active!.id])).get(active!.id)).toEqual(cursor);
  });
});
