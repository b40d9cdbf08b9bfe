import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { findConsumerGroup, getConsumerGroupState, listGroupEvents, raiseGenerationFloor } from "@shardcast/db";
import { ConsumerProgress, createRedis } from "@shardcast/runtime";
import { testRedisUrl } from "@shardcast/runtime/testing/env";
import type { Redis } from "ioredis";
import { groupsPath, joinMember, produceTagged, type Assignment } from "./consumer-calls.ts";
import { post, startHarness, type Harness } from "./harness.ts";

/**
 * A control database restored from a backup while Redis kept its keys: the group's generations go
 * back below the commit fences in Redis. The rightful holder must still get its commits in (after
 * one refusal), with no event lost or delivered twice past a landed commit.
 */

let h: Harness;
let redis: Redis;
let progress: ConsumerProgress;

beforeAll(async () => {
  h = await startHarness({ stream: "restored", shardCount: 1 });
  redis = createRedis(testRedisUrl());
  progress = new ConsumerProgress(redis, h.prefix);
});

afterAll(async () => {
  await redis?.quit();
  await h?.close();
});

const base = () => groupsPath(h);

interface Batch {
  shardletId: string;
  generation: number;
  events: Array<{ seq: number; id: string | null; payload: { i: number } }>;
  next: number;
}
interface Commit {
  shardletId: string;
  generation: number;
  position: number;
  events: number;
}

const join = (group: string, name: string) => joinMember(h, group, name);

async function poll(group: string, member: string, body: Record<string, unknown> = {}) {
  return post(h, `${base()}/${group}/members/${member}/poll`, { limit: 7, ...body });
}

const produce = (n: number, tag: string) => produceTagged(h, n, tag);

const commitsOf = (batches: Batch[]): Commit[] => batches.map((b) => ({ shardletId: b.shardletId, generation: b.generation, position: b.next, events: b.events.length }));

/** The Redis side of a restore: fences as high as the generations the database has forgotten. */
async function forgetGenerations(group: string, fence: number): Promise<string[]> {
  const g = (await findConsumerGroup(h.db, h.streamId, group))!;
  const state = (await getConsumerGroupState(h.db, g.id))!;
  expect(state.group.generation).toBeLessThan(fence);
  await progress.readHeld(g.id, state.assignments.map((a) => ({ shardletId: a.shardletId, generation: fence })));
  return state.assignments.map((a) => a.shardletId).sort();
}

describe("commit fences above a restored control database's generations", () => {
  it("the holder's refused commit raises the group's generation, and its commits land from its next poll on", async () => {
    const n = 60;
    const m = await join("floor", "a");
    await produce(n, "floor");

    // Events count as processed once the commit that covers them has landed.
    const processed = new Map<string, number>();
    const tally = (batches: Batch[]) => {
      for (const b of batches) for (const e of b.events) processed.set(e.id!, (processed.get(e.id!) ?? 0) + 1);
    };
    let checksum = 0;
    const sum = (batches: Batch[]) => batches.reduce((s, b) => s + b.events.reduce((t, e) => t + e.payload.i, 0), 0);

    const first = await poll("floor", m);
    expect(first.status, JSON.stringify(first.body)).toBe(200);
    const firstBatches = first.body.batches as Batch[];
    const second = await poll("floor", m, { commits: commitsOf(firstBatches) });
    expect(second.status, JSON.stringify(second.body)).toBe(200);
    tally(firstBatches);
    checksum += sum(firstBatches);
    const refusedBatches = second.body.batches as Batch[];
    expect(refusedBatches.some((b) => b.events.length > 0)).toBe(true);

    const held = await forgetGenerations("floor", 1000);

    // The commit is refused once: it was sent at the generation the database had before.
    const refused = await post(h, `${base()}/floor/members/${m}/commit`, { commits: commitsOf(refusedBatches) });
    expect(refused.status, JSON.stringify(refused.body)).toBe(409);
    const stale = (refused.body.error as { details: { stale: Array<{ shardletId: string; current: number | null }> } }).details.stale;
    expect(stale.map((s) => s.shardletId).sort()).toEqual(held);
    expect(stale.every((s) => s.current !== null && s.current > 1000)).toBe(true);

    const g = (await findConsumerGroup(h.db, h.streamId, "floor"))!;
    const state = (await getConsumerGroupState(h.db, g.id))!;
    expect(state.group.generation).toBeGreaterThan(1000);
    expect(state.assignments.every((a) => a.memberId === m && a.generation > 1000)).toBe(true);
    const floor = (await listGroupEvents(h.db, g.id, 50)).filter((e) => e.kind === "generation_floor");
    expect(floor).toHaveLength(1);
    expect([...floor[0]!.shardletIds].sort()).toEqual(held);
    expect(floor[0]!.memberId).toBe(m);

    // The next poll continues from the committed cursors, at the new generations: the refused
    // page comes again, whole, and from here on every commit lands.
    let answer = await poll("floor", m);
    expect(answer.status, JSON.stringify(answer.body)).toBe(200);
    const again = answer.body.batches as Batch[];
    expect((answer.body.assignments as Assignment[]).every((a) => a.generation > 1000)).toBe(true);
    const firstIds = (batches: Batch[]) => new Map(batches.map((b) => [b.shardletId, b.events.map((e) => e.id)]));
    expect(firstIds(again)).toEqual(firstIds(refusedBatches));
    for (let round = 0; round < 100; round++) {
      const batches = answer.body.batches as Batch[];
      if (batches.every((b) => b.events.length === 0)) break;
      answer = await poll("floor", m, { commits: commitsOf(batches) });
      expect(answer.status, JSON.stringify(answer.body)).toBe(200);
      tally(batches);
      checksum += sum(batches);
    }

    expect(processed.size).toBe(n);
    expect([...processed.values()].every((c) => c === 1)).toBe(true);
    expect(checksum).toBe((n * (n - 1)) / 2);
    // The raise happened once, and the fences now follow the new generations.
    expect((await listGroupEvents(h.db, g.id, 50)).filter((e) => e.kind === "generation_floor")).toHaveLength(1);
    const fences = await progress.fences(g.id, held);
    const now = (await getConsumerGroupState(h.db, g.id))!;
    for (const a of now.assignments) expect(fences.get(a.shardletId)).toBe(a.generation);
  });

  it("lifts every fence a restore left behind at once, also those of shardlets the refused commit did not name", async () => {
    const m = await join("partial", "a");
    await produce(30, "partial");
    const first = await poll("partial", m);
    expect(first.status, JSON.stringify(first.body)).toBe(200);
    const g = (await findConsumerGroup(h.db, h.streamId, "partial"))!;
    const before = (await getConsumerGroupState(h.db, g.id))!;
    const ids = before.assignments.map((a) => a.shardletId).sort();
    expect(ids.length).toBeGreaterThan(1);
    // Fences at different heights, all above the counter: lifting only the named shardlet would
    // raise the counter past the others' fences, and they would never be lifted.
    await progress.readHeld(g.id, ids.map((id, i) => ({ shardletId: id, generation: i === 0 ? 1000 : 900 })));
    const batches = first.body.batches as Batch[];
    const named = batches.find((b) => b.shardletId === ids[0])!;
    const refused = await post(h, `${base()}/partial/members/${m}/commit`, { commits: commitsOf([named]) });
    expect(refused.status, JSON.stringify(refused.body)).toBe(409);
    const after = (await getConsumerGroupState(h.db, g.id))!;
    expect(after.assignments.every((a) => a.memberId === m && a.generation > 1000)).toBe(true);
    expect((await listGroupEvents(h.db, g.id, 50)).filter((e) => e.kind === "generation_floor").map((e) => [...e.shardletIds].sort())).toEqual([ids]);

    // From the next poll on, commits of every shardlet land, and every event is read once.
    const seen = new Map<string, number>();
    let answer = await poll("partial", m);
    for (let round = 0; round < 100; round++) {
      expect(answer.status, JSON.stringify(answer.body)).toBe(200);
      const page = answer.body.batches as Batch[];
      if (page.every((b) => b.events.length === 0)) break;
      for (const b of page) for (const e of b.events) seen.set(e.id!, (seen.get(e.id!) ?? 0) + 1);
      answer = await poll("partial", m, { commits: commitsOf(page) });
    }
    expect(answer.status, JSON.stringify(answer.body)).toBe(200);
    // The group reads the stream from its start: the events of the test before are there too.
    expect([...seen.keys()].filter((id) => id.startsWith("partial-"))).toHaveLength(30);
    expect([...seen.values()].every((c) => c === 1)).toBe(true);
  });

  it("changes nothing for fences the control database handed out (a later holder's)", async () => {
    const m = await join("ordinary", "a");
    await produce(10, "ordinary");
    expect((await poll("ordinary", m)).status).toBe(200);
    const g = (await findConsumerGroup(h.db, h.streamId, "ordinary"))!;
    const before = (await getConsumerGroupState(h.db, g.id))!;
    // Each fence at its shardlet's generation: what the holders' reads leave.
    const fences = new Map(before.assignments.map((a) => [a.shardletId, a.generation]));
    expect(await raiseGenerationFloor(h.db, g.id, fences, m)).toBeNull();
    const after = (await getConsumerGroupState(h.db, g.id))!;
    expect(after.group.generation).toBe(before.group.generation);
    expect(after.assignments.map((a) => a.generation)).toEqual(before.assignments.map((a) => a.generation));
    expect((await listGroupEvents(h.db, g.id, 50)).map((e) => e.kind)).not.toContain("generation_floor");
  });
});
