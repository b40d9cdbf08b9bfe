import { findConsumerGroup, listGroupEvents } from "@shardcast/db";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runShardletMerge } from "../src/processors/shardlet-merge.ts";
import { runShardletSplit } from "../src/processors/shardlet-split.ts";
import { startLifecycleHarness, type LifecycleHarness } from "./lifecycle-harness.ts";

/**
 * Lineage: a group keeps consuming through a split and a merge of the shardlet it reads. The
 * children start at the parent's committed position (filtered to their range) and the merged
 * shardlet at both parents' positions, so the only events delivered again are those the member
 * had received but not committed; the children are consumable at once.
 */

let h: LifecycleHarness;
const group = "lineage";
let member = "";

interface Batch {
  shardletId: string;
  generation: number;
  events: Array<{ id: string; seq: number }>;
  next: number;
}
interface PollAnswer {
  assignments: Array<{ shardletId: string; lo: number; hi: number; generation: number }>;
  batches: Batch[];
}

async function poll(commits: Array<Record<string, unknown>>): Promise<PollAnswer> {
  const res = await fetch(`${h.edgeUrl}/v1/streams/${h.stream}/groups/${group}/members/${member}/poll`, {
    method: "POST",
    headers: { authorization: `Bearer ${h.token}`, "content-type": "application/json" },
    body: JSON.stringify({ commits, limit: 1000 }),
  });
  const body = (await res.json()) as PollAnswer;
  expect(res.status, JSON.stringify(body)).toBe(200);
  return body;
}

const commitsOf = (a: PollAnswer) => a.batches.map((b) => ({ shardletId: b.shardletId, generation: b.generation, position: b.next, events: b.events.length }));
const idsOf = (a: PollAnswer) => a.batches.flatMap((b) => b.events.map((e) => e.id));

/** Polls, committing each answer with the next, until nothing comes; returns every id delivered. */
async function drain(first: Array<Record<string, unknown>> = []): Promise<{ ids: string[]; last: PollAnswer }> {
  const ids: string[] = [];
  let commits = first;
  for (let i = 0; i < 30; i++) {
    const a = await poll(commits);
    ids.push(...idsOf(a));
    commits = commitsOf(a);
    if (a.batches.every((b) => b.events.length === 0)) return { ids, last: a };
  }
  throw new Error("did not drain");
}

async function produce(lo: number, hi: number, n: number): Promise<string[]> {
  const events = Array.from({ length: n }, () => ({ key: h.keyIn(lo, hi), id: h.nextId() }));
  await h.produce(events);
  return events.map((e) => e.id);
}

beforeAll(async () => {
  h = await startLifecycleHarness({ hosts: 1, shardCount: 1, shardletsPerShard: 1 });
  const res = await fetch(`${h.edgeUrl}/v1/streams/${h.stream}/groups/${group}/members`, {
    method: "POST",
    headers: { authorization: `Bearer ${h.token}`, "content-type": "application/json" },
    body: JSON.stringify({ name: "solo" }),
  });
  member = ((await res.json()) as { memberId: string }).memberId;
});

afterAll(async () => {
  await h?.close();
});

describe("consumer lineage across a split and a merge", () => {
  it("re-delivers only the uncommitted tail, and the children are read at once", async () => {
    const first = await poll([]);
    const parent = first.assignments[0]!;
    expect(first.assignments).toHaveLength(1);
    const committedIds = await produce(parent.lo, parent.hi, 300);
    const done = await drain(commitsOf(first));
    expect(done.ids.sort()).toEqual([...committedIds].sort());

    // 120 more events are delivered but not committed when the split happens (the member then
    // polls without committing them, as one that lost its work would).
    const tailIds = await produce(parent.lo, parent.hi, 120);
    const tailAnswer = await poll(commitsOf(done.last));
    expect(idsOf(tailAnswer).sort()).toEqual([...tailIds].sort());

    const split = await runShardletSplit(h.deps, { shardletId: parent.shardletId, reason: "test split" });
    expect(split).toMatchObject({ status: "done" });
    const newIds = await produce(parent.lo, parent.hi, 80);
    const after = await drain();
    expect(after.last.assignments).toHaveLength(2);
    expect(after.last.assignments.map((a) => a.shardletId)).not.toContain(parent.shardletId);
    // The children continue where the parent's commit left off: its uncommitted tail comes again
    // (once), followed by what arrived after the split, and nothing committed before.
    expect(after.ids.sort()).toEqual([...tailIds, ...newIds].sort());
    // The parent's late commit is now stale: its cursor was handed on to the children.
    const stale = await fetch(`${h.edgeUrl}/v1/streams/${h.stream}/groups/${group}/members/${member}/commit`, {
      method: "POST",
      headers: { authorization: `Bearer ${h.token}`, "content-type": "application/json" },
      body: JSON.stringify({ commits: commitsOf(tailAnswer) }),
    });
    expect(stale.status).toBe(409);

    // Merge the children back: the merged shardlet continues from both children's positions.
    const [left, right] = [...after.last.assignments].sort((a, b) => a.lo - b.lo);
    const merged = await runShardletMerge(h.deps, { leftId: left!.shardletId, rightId: right!.shardletId, reason: "test merge" });
    expect(merged).toMatchObject({ status: "done" });
    const lastIds = await produce(parent.lo, parent.hi, 60);
    const end = await drain(commitsOf(after.last));
    expect(end.last.assignments).toHaveLength(1);
    expect(end.ids.sort()).toEqual([...lastIds].sort());

    const g = (await findConsumerGroup(h.db, h.streamId, group))!;
    const lineage = (await listGroupEvents(h.db, g.id, 50)).filter((e) => e.kind === "lineage");
    expect(lineage.length).toBe(2);
  }, 60_000);
});
