import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createPendingShardlets, findConsumerGroup, getConsumerGroupState, getShardletRow, switchShardlets, type ConsumerGroupState } from "@shardcast/db";
import { ConsumerProgress, createRedis } from "@shardcast/runtime";
import { testRedisUrl } from "@shardcast/runtime/testing/env";
import type { Redis } from "ioredis";
import { applyCommits, type CursorDeps } from "../src/consumers/group-cursors.ts";
import { groupsPath, joinMember, produceTagged, type Assignment } from "./consumer-calls.ts";
import { post, startHarness, type Harness } from "./harness.ts";

/**
 * Commits checked against assignments read before the shardlet changed hands or retired (a commit
 * racing a hand-off or a split on another edge), on a real edge, PostgreSQL and Redis: the
 * check passed, so only Redis can still refuse them.
 */

let h: Harness;
let redis: Redis;
let deps: CursorDeps;
let progress: ConsumerProgress;

beforeAll(async () => {
  // One shard of two shardlets: two members get one each.
  h = await startHarness({ stream: "fenced", shardCount: 1 });
  redis = createRedis(testRedisUrl());
  progress = new ConsumerProgress(redis, h.prefix);
  deps = { db: h.db, sequences: h.edge.sequences, progress };
});

afterAll(async () => {
  await redis?.quit();
  await h?.close();
});

const base = () => groupsPath(h);

interface Answer {
  assignments: Assignment[];
  batches: Array<{ shardletId: string; generation: number; events: Array<{ seq: number }>; next: number }>;
  watermark: number;
}

const join = (group: string, name: string) => joinMember(h, group, name);

async function poll(group: string, member: string, body: Record<string, unknown> = {}): Promise<Answer> {
  const res = await post(h, `${base()}/${group}/members/${member}/poll`, { limit: 1000, ...body });
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body as unknown as Answer;
}

const produce = (n: number, tag: string) => produceTagged(h, n, tag);

/** The late commit: checked against `stale`, the assignments as they were before. */
async function lateCommit(group: string, stale: ConsumerGroupState, member: string, commit: { shardletId: string; generation: number; position: number }) {
  const entry = (await h.edge.routing.get(h.stream))!;
  const g = (await findConsumerGroup(h.db, h.streamId, group))!;
  return applyCommits(deps, entry, g, stale, member, [commit]);
}

describe("commits that land after their shardlet changed hands", () => {
  it("a commit of the previous holder, checked before a hand-off, does not move the new holder's cursor", async () => {
    const a = await join("handoff", "a");
    await produce(100, "handoff");
    // a processes the first half of every shardlet's events and commits that.
    const first = await poll("handoff", a);
    const half = new Map(first.batches.map((b) => [b.shardletId, b.events[Math.floor(b.events.length / 2)]?.seq ?? 0]));
    expect([...half.values()].every((p) => p > 0)).toBe(true);
    await poll("handoff", a, { commits: first.batches.map((b) => ({ shardletId: b.shardletId, generation: b.generation, position: half.get(b.shardletId)! })) });
    const g = (await findConsumerGroup(h.db, h.streamId, "handoff"))!;
    const stale = (await getConsumerGroupState(h.db, g.id))!;

    // b joins; a's next poll hands b its share, and b starts from a's committed position.
    const b = await join("handoff", "b");
    await poll("handoff", a);
    const taken = await poll("handoff", b);
    const [moved] = taken.assignments;
    expect(moved).toBeDefined();
    expect(moved!.position).toBe(half.get(moved!.shardletId));
    const before = stale.assignments.find((x) => x.shardletId === moved!.shardletId)!;
    expect(moved!.generation).toBeGreaterThan(before.generation);

    // a's commit of the whole shardlet, checked while a still held it, lands now.
    await expect(lateCommit("handoff", stale, a, { shardletId: moved!.shardletId, generation: before.generation, position: first.watermark })).rejects.toMatchObject({
      code: "conflict",
      details: { stale: [{ shardletId: moved!.shardletId, generation: before.generation, current: null }] },
    });
    const again = await poll("handoff", b);
    expect(again.assignments.find((x) => x.shardletId === moved!.shardletId)!.position).toBe(half.get(moved!.shardletId));
    // b's own commit at its generation still goes through.
    await poll("handoff", b, { commits: [{ shardletId: moved!.shardletId, generation: moved!.generation, position: first.watermark }] });
    expect((await poll("handoff", b)).assignments.find((x) => x.shardletId === moved!.shardletId)!.position).toBe(first.watermark);
  });

  it("a commit on a shardlet that split since it was checked leaves no cursor of the retired parent behind", async () => {
    const c = await join("split", "c");
    await produce(20, "split");
    const first = await poll("split", c);
    await poll("split", c, { commits: first.batches.map((b) => ({ shardletId: b.shardletId, generation: b.generation, position: b.next })) });
    const g = (await findConsumerGroup(h.db, h.streamId, "split"))!;
    const stale = (await getConsumerGroupState(h.db, g.id))!;
    const parent = stale.assignments[0]!;

    // The parent splits in two (what the worker's split job writes at its switch).
    const row = (await getShardletRow(h.db, parent.shardletId))!;
    const [lo, hi] = [Number(row.lo), Number(row.hi)];
    const mid = Math.floor((lo + hi) / 2);
    const child = (id: string, from: number, to: number) => ({
      id,
      streamId: row.streamId,
      shardId: row.shardId,
      hostId: row.hostId,
      lo: from,
      hi: to,
      capacityBytes: Number(row.capacityBytes),
      epoch: row.epoch + 1,
      parentId: row.id,
    });
    const children = [child(`${row.id}-l`, lo, mid), child(`${row.id}-r`, mid, hi)];
    await createPendingShardlets(h.db, children);
    await switchShardlets(h.db, { activate: children.map((x) => x.id), retire: [row.id] });
    await h.edge.routing.refreshById(h.streamId);
    // The member's next contact reconciles: the children continue the parent's cursor, which goes.
    const beat = await post(h, `${base()}/split/members/${c}/heartbeat`, {});
    expect(beat.status, JSON.stringify(beat.body)).toBe(200);
    expect((beat.body as { assignments: Assignment[] }).assignments.map((x) => x.shardletId)).toEqual(expect.arrayContaining(children.map((x) => x.id)));
    expect(await progress.readRaw(g.id, [parent.shardletId])).toEqual(new Map());

    await expect(lateCommit("split", stale, c, { shardletId: parent.shardletId, generation: parent.generation, position: first.watermark })).rejects.toMatchObject({
      code: "conflict",
      details: { stale: [{ shardletId: parent.shardletId, generation: parent.generation, current: null }] },
    });
    expect(await progress.readRaw(g.id, [parent.shardletId])).toEqual(new Map());
  });
});
