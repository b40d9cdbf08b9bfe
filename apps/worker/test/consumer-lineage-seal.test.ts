import { cursorPosition, type Cursor } from "@shardcast/core";
import { waitFor } from "@shardcast/core/testing";
import { findConsumerGroup, getConsumerGroupState, getDurableCheckpoints, type ConsumerGroupInfo } from "@shardcast/db";
import { ConsumerProgress } from "@shardcast/runtime";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runConsumerCheckpoint } from "../src/consumers/checkpoint.ts";
import { runShardletSplit } from "../src/processors/shardlet-split.ts";
import { callEdge, startLifecycleHarness, type LifecycleHarness } from "./lifecycle-harness.ts";

/**
 * The hand-on of a split shardlet's cursor against a commit on it that arrives late: the edge
 * checked the commit against the member's assignment before the checkpoint job's reconcile took
 * the parent's cursor, and writes it right after. Such a commit is either in the cursor the
 * children start from or refused to the member (409, `details.stale`), never accepted and then
 * ignored (which would deliver its events again). A reconcile that dies after sealing the parent
 * hands on, when retried, the same cursor.
 */

let h: LifecycleHarness;

interface Batch {
  shardletId: string;
  generation: number;
  events: Array<{ id: string; seq: number }>;
  next: number;
}
interface PollAnswer {
  assignments: Array<{ shardletId: string; generation: number; lo: number; hi: number; position: number }>;
  batches: Batch[];
}

/** The worker's progress store, with a hook right after the job takes a given shardlet's cursor. */
class HookedProgress extends ConsumerProgress {
  hook: { groupId: string; shardletId: string; run: () => Promise<void> } | null = null;

  private async fire(groupId: string, ids: readonly string[]): Promise<void> {
    const hook = this.hook;
    if (!hook || hook.groupId !== groupId || !ids.includes(hook.shardletId)) return;
    this.hook = null;
    await hook.run();
  }

  override async seal(groupId: string, ids: readonly string[]): Promise<Map<string, Cursor>> {
    const out = await super.seal(groupId, ids);
    await this.fire(groupId, ids);
    return out;
  }

  override async read(groupId: string, ids: readonly string[]): Promise<Map<string, Cursor>> {
    const out = await super.read(groupId, ids);
    await this.fire(groupId, ids);
    return out;
  }
}
let progress: HookedProgress;

const call = <T>(method: string, path: string, body?: unknown) => callEdge<T>(h, method, path, body);
const poll = (group: string, member: string, commits: unknown[] = []) => call<PollAnswer>("POST", `/groups/${group}/members/${member}/poll`, { commits, limit: 1000 });
const commitsOf = (a: PollAnswer) => a.batches.map((b) => ({ shardletId: b.shardletId, generation: b.generation, position: b.next, events: b.events.length }));

interface Prepared {
  g: ConsumerGroupInfo;
  member: string;
  parent: { shardletId: string; generation: number };
  /** Where the member's last accepted commit left the parent. */
  committed: number;
  /** The events the member received past it; `tailNext` is what it would commit after them. */
  tail: string[];
  tailNext: number;
}

/**
 * A member of `group` that committed 60 events of one of its shardlets (by range, `at` as for
 * `Array.at`) and holds 25 more uncommitted; then that shardlet is split.
 */
async function prepare(group: string, at: number): Promise<Prepared> {
  const joined = await call<{ memberId: string; assignments: Array<{ shardletId: string; generation: number; lo: number; hi: number }> }>("POST", `/groups/${group}/members`, {
    name: "m1",
    sessionTimeoutMs: 300_000,
    start: "latest",
  });
  expect(joined.status).toBe(201);
  const member = joined.body.memberId;
  const parent = [...joined.body.assignments].sort((a, b) => a.lo - b.lo).at(at)!;
  const produce = async (n: number) => {
    const events = Array.from({ length: n }, () => ({ key: h.keyIn(parent.lo, parent.hi), id: h.nextId() }));
    const acks = await h.produce(events);
    return { ids: events.map((e) => e.id), last: Math.max(...acks.map((a) => a.seq)) };
  };
  const batchReaching = (last: number) =>
    waitFor(`a poll of ${group} reaching ${last}`, async () => {
      const res = await poll(group, member);
      expect(res.status).toBe(200);
      const b = res.body.batches.find((x) => x.shardletId === parent.shardletId)!;
      return b.next >= last && b;
    });

  const first = await produce(60);
  const done = await batchReaching(first.last);
  const c = await call("POST", `/groups/${group}/members/${member}/commit`, { commits: [{ shardletId: parent.shardletId, generation: parent.generation, position: done.next, events: done.events.length }] });
  expect(c.status).toBe(200);
  const tail = await produce(25);
  const held = await batchReaching(tail.last);
  expect(held.events.map((e) => e.id).sort()).toEqual([...tail.ids].sort());

  expect(await runShardletSplit(h.deps, { shardletId: parent.shardletId, reason: "test split" })).toMatchObject({ status: "done" });
  const g = (await findConsumerGroup(h.db, h.streamId, group))!;
  return { g, member, parent: { shardletId: parent.shardletId, generation: parent.generation }, committed: done.next, tail: tail.ids, tailNext: held.next };
}

/** The member's commit of its uncommitted tail on the parent, as it sends it. */
const lateCommit = (group: string, p: Prepared) =>
  call("POST", `/groups/${group}/members/${p.member}/commit`, { commits: [{ shardletId: p.parent.shardletId, generation: p.parent.generation, position: p.tailNext, events: p.tail.length }] });

const refused = (p: Prepared) => ({
  status: 409,
  body: { error: { code: "conflict", details: { stale: [{ shardletId: p.parent.shardletId, generation: p.parent.generation, current: null }] } } },
});

/** Asserts where the children continue, then polls (committing) until nothing comes; returns the ids delivered. */
async function children(group: string, p: Prepared, position: number): Promise<string[]> {
  const ids = (await h.db.shardlet.findMany({ where: { parentId: p.parent.shardletId }, select: { id: true } })).map((s) => s.id).sort();
  expect(ids).toHaveLength(2);
  const durable = await getDurableCheckpoints(h.db, p.g.id, ids);
  expect(ids.map((id) => durable.get(id)?.position)).toEqual([position, position]);
  expect([...(await progress.read(p.g.id, ids)).values()].map(cursorPosition)).toEqual([position, position]);
  // Nothing of the parent is left in Redis for a commit to move.
  expect(await progress.read(p.g.id, [p.parent.shardletId])).toEqual(new Map());

  let answer = await waitFor(`${group}'s member to hold the children`, async () => {
    const res = await poll(group, p.member);
    expect(res.status).toBe(200);
    return ids.every((id) => res.body.assignments.some((a) => a.shardletId === id)) && res.body;
  });
  const delivered: string[] = [];
  for (let i = 0; i < 20; i++) {
    const mine = answer.batches.filter((b) => ids.includes(b.shardletId));
    delivered.push(...mine.flatMap((b) => b.events.map((e) => e.id)));
    if (mine.every((b) => b.events.length === 0)) return delivered;
    const res = await poll(group, p.member, commitsOf(answer));
    expect(res.status).toBe(200);
    answer = res.body;
  }
  throw new Error("the children did not drain");
}

beforeAll(async () => {
  h = await startLifecycleHarness({ hosts: 1, shardCount: 1, shardletsPerShard: 2 });
  progress = new HookedProgress(h.redis, h.prefix);
});

afterAll(async () => {
  await h?.close();
});

describe("a split shardlet's cursor handed on while its holder commits", () => {
  it("refuses a commit that lands after the parent's cursor was taken, rather than accept and ignore it", async () => {
    const group = "late";
    const p = await prepare(group, 0);
    let late: Awaited<ReturnType<typeof lateCommit>> | null = null;
    progress.hook = {
      groupId: p.g.id,
      shardletId: p.parent.shardletId,
      run: async () => {
        late = await lateCommit(group, p);
      },
    };
    const run = await runConsumerCheckpoint(h.deps, { progress, decisionIntervalSec: 1 });
    expect(run).toMatchObject({ skipped: 0 });
    expect(progress.hook).toBeNull();

    // Accepted, it would have been lost: the children start from the cursor taken before it.
    expect(late).toMatchObject(refused(p));
    // Refused, the member knows its tail is not committed; the children deliver it once more.
    const delivered = await children(group, p, p.committed);
    expect(delivered.sort()).toEqual([...p.tail].sort());
  }, 60_000);

  it("hands on the same cursor when a reconcile that died after sealing the parent runs again", async () => {
    const group = "retried";
    const p = await prepare(group, -1);
    progress.hook = {
      groupId: p.g.id,
      shardletId: p.parent.shardletId,
      run: () => Promise.reject(new Error("the worker died mid-reconcile")),
    };
    expect(await runConsumerCheckpoint(h.deps, { progress, decisionIntervalSec: 1 })).toMatchObject({ skipped: 1 });
    // Nothing of the reconcile was stored: the member still holds the parent...
    const state = await getConsumerGroupState(h.db, p.g.id);
    expect(state!.assignments).toContainEqual(expect.objectContaining({ shardletId: p.parent.shardletId, generation: p.parent.generation }));
    // ...but the parent stays sealed: its commit is refused, not left for the retry to guess about.
    expect(await lateCommit(group, p)).toMatchObject(refused(p));

    expect(await runConsumerCheckpoint(h.deps, { progress, decisionIntervalSec: 1 })).toMatchObject({ skipped: 0 });
    const delivered = await children(group, p, p.committed);
    expect(delivered.sort()).toEqual([...p.tail].sort());
  }, 60_000);
});
