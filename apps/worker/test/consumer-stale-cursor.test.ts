import { CONSUMER_SETTINGS_KEY, freshCursor } from "@shardcast/core";
import { findConsumerGroup, getDurableCheckpoints, updateSetting } from "@shardcast/db";
import { waitFor } from "@shardcast/db/testing";
import { ConsumerProgress } from "@shardcast/runtime";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runConsumerCheckpoint } from "../src/consumers/checkpoint.ts";
import { callEdge, startLifecycleHarness, type LifecycleHarness } from "./lifecycle-harness.ts";

/**
 * A Redis that comes back with a cursor behind the durable checkpoint (a failover to a lagging
 * replica, a restore from an older snapshot), against a real edge, PostgreSQL and Redis: the
 * checkpoint job keeps the durable checkpoint where it was, and the next poll continues after it,
 * delivering only what arrived since.
 */

let h: LifecycleHarness;
let progress: ConsumerProgress;
const group = "stale";

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

const call = <T>(method: string, path: string, body?: unknown) => callEdge<T>(h, method, path, body);

beforeAll(async () => {
  h = await startLifecycleHarness({ hosts: 1, shardCount: 1, shardletsPerShard: 1 });
  progress = new ConsumerProgress(h.redis, h.prefix);
  // A fixed interval: every run, its clock 10 s on (within the member's session), takes a checkpoint of whatever moved.
  await updateSetting(h.db, CONSUMER_SETTINGS_KEY, { checkpointMode: "fixed", fixedIntervalSec: 1 }, null);
});

afterAll(async () => {
  await h?.close();
});

describe("a Redis cursor behind the durable checkpoint", () => {
  it("neither moves the checkpoint back nor makes the next poll deliver committed events again", async () => {
    const joined = await call<{ memberId: string; assignments: Array<{ shardletId: string; lo: number; hi: number }> }>("POST", `/groups/${group}/members`, { name: "m1", sessionTimeoutMs: 300_000 });
    expect(joined.status).toBe(201);
    const member = joined.body.memberId;
    const [only] = joined.body.assignments;
    expect(joined.body.assignments).toHaveLength(1);
    const first = Array.from({ length: 50 }, () => ({ key: h.keyIn(only!.lo, only!.hi), id: h.nextId() }));
    const lastSeq = Math.max(...(await h.produce(first)).map((a) => a.seq));

    // Process and commit everything produced so far.
    const committed = await waitFor("the member to process and commit the first 50 events", async () => {
      const res = await call<PollAnswer>("POST", `/groups/${group}/members/${member}/poll`, { limit: 1000 });
      expect(res.status).toBe(200);
      const b = res.body.batches[0]!;
      if (b.next < lastSeq) return null;
      const c = await call<{ committed: unknown[] }>("POST", `/groups/${group}/members/${member}/commit`, {
        commits: [{ shardletId: b.shardletId, generation: b.generation, position: b.next, events: b.events.length }],
      });
      expect(c.status).toBe(200);
      return b.next;
    });

    const g = (await findConsumerGroup(h.db, h.streamId, group))!;
    let clock = Date.now();
    const checkpoint = () => {
      clock += 10_000;
      const at = clock;
      return runConsumerCheckpoint({ ...h.deps, clock: () => at }, { progress, decisionIntervalSec: 1 });
    };
    expect((await checkpoint()).checkpoints).toBe(1);
    expect((await getDurableCheckpoints(h.db, g.id)).get(only!.shardletId)!.position).toBe(committed);

    // Redis comes back with the shardlet's cursor at 0.
    const raw = await progress.readRaw(g.id, [only!.shardletId]);
    const wrote = await progress.setCursors(g.id, [{ shardletId: only!.shardletId, expected: raw.get(only!.shardletId) ?? null, next: freshCursor(only!.lo, only!.hi, 0), processed: 0 }]);
    expect(wrote).toBe("written");

    // The checkpoint job sees no progress in a cursor behind the durable one.
    expect((await checkpoint()).checkpoints).toBe(0);
    expect((await getDurableCheckpoints(h.db, g.id)).get(only!.shardletId)!.position).toBe(committed);

    // The next poll continues after the checkpoint: only events produced since come.
    const later = Array.from({ length: 5 }, () => ({ key: h.keyIn(only!.lo, only!.hi), id: h.nextId() }));
    await h.produce(later);
    const laterIds = later.map((e) => e.id).sort();
    const answer = await waitFor("a poll delivering the events produced after the rollback", async () => {
      const res = await call<PollAnswer>("POST", `/groups/${group}/members/${member}/poll`, { limit: 1000 });
      expect(res.status).toBe(200);
      const ids = res.body.batches.flatMap((b) => b.events.map((e) => e.id));
      // Never anything committed before, also while the new events are not all readable yet.
      expect(ids.filter((id) => !laterIds.includes(id))).toEqual([]);
      return ids.length === laterIds.length && res.body;
    });
    expect(answer.assignments[0]!.position).toBe(committed);
    expect(answer.batches[0]!.events.every((e) => e.seq > committed)).toBe(true);
    const described = await call<{ shardlets: Array<{ position: number; checkpoint: number | null }> }>("GET", `/groups/${group}`);
    expect(described.body.shardlets).toEqual([expect.objectContaining({ position: committed, checkpoint: committed })]);

    // Nothing was committed since: the checkpoint still holds.
    expect((await checkpoint()).checkpoints).toBe(0);
    expect((await getDurableCheckpoints(h.db, g.id)).get(only!.shardletId)!.position).toBe(committed);
  });
});
