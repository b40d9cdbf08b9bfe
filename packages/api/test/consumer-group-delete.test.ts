import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freshCursor } from "@shardcast/core";
import {
  addConsumerMember,
  createStream,
  ensureConsumerGroup,
  getConsumerGroupState,
  getDurableCheckpoints,
  listApiKeys,
  listCheckpointLog,
  listGroupEvents,
  listOperations,
  reconcileConsumerGroup,
  touchConsumerMember,
  verifyApiKey,
  type ConsumerGroupInfo,
} from "@shardcast/db";
import { ConsumerProgress } from "@shardcast/runtime";
import { emailOf, startHarness, type Harness } from "./harness.ts";

let h: Harness;
let viewer: string;
let operator: string;
let admin: string;
let streamId: string;

beforeAll(async () => {
  h = await startHarness();
  [viewer, operator, admin] = await Promise.all([h.sessionFor("viewer"), h.sessionFor("operator"), h.sessionFor("admin")]);
  streamId = (await createStream(h.db, h.hosts, { name: "orders", shardCount: 2 })).id;
});
afterAll(() => h?.close());

/** A group with two members holding its shardlets, their first checkpoints, and its progress in Redis. */
async function groupWithProgress(name: string, prefix: string): Promise<{ g: ConsumerGroupInfo; members: string[]; progress: ConsumerProgress }> {
  const g = await ensureConsumerGroup(h.db, { streamId, name, startSeq: 0 });
  const members = [
    (await addConsumerMember(h.db, { groupId: g.id, name: `${name}-1`, sessionTimeoutMs: 60_000 })).id,
    (await addConsumerMember(h.db, { groupId: g.id, name: `${name}-2`, sessionTimeoutMs: 60_000 })).id,
  ];
  const state = (await reconcileConsumerGroup(h.db, g.id, { now: Date.now(), handoffTimeoutMs: 1_000, sealCursors: () => Promise.resolve(new Map()) })).state;
  const progress = new ConsumerProgress(h.redis, prefix);
  const a = state.assignments[0]!;
  await progress.setCursors(g.id, [{ shardletId: a.shardletId, expected: null, next: freshCursor(0, 2 ** 31, 10), processed: 10, generation: a.generation }]);
  await progress.recordStats(g.id, 10, 5);
  await progress.requestSnapshots(g.id, members[0]!, [{ shardletId: a.shardletId, position: 10, reason: "test" }]);
  return { g, members, progress };
}

async function redisKeys(prefix: string, groupId: string): Promise<string[]> {
  return h.redis.keys(`${prefix}:cg:{${groupId}}:*`);
}

/** What the control database holds of a group (members and assignments cannot outlive their group's row). */
async function groupRows(groupId: string) {
  const state = await getConsumerGroupState(h.db, groupId);
  return {
    group: state ? 1 : 0,
    members: state?.members.length ?? 0,
    assignments: state?.assignments.length ?? 0,
    checkpoints: (await getDurableCheckpoints(h.db, groupId)).size,
    checkpointLog: (await listCheckpointLog(h.db, { groupId, since: 0, limit: 100 })).length,
    events: (await listGroupEvents(h.db, groupId, 100)).length,
  };
}

describe("deleting a consumer group", () => {
  it("is refused while members are live, and with force removes the group's rows and Redis keys, audited", async () => {
    const prefix = h.freshPrefix("cg-delete");
    const { g } = await groupWithProgress("billing", prefix);
    const before = await groupRows(g.id);
    expect(before).toMatchObject({ group: 1, members: 2, assignments: 2, checkpoints: 2 });
    expect(before.checkpointLog).toBeGreaterThan(0);
    expect(before.events).toBeGreaterThan(0);
    const keys = await redisKeys(prefix, g.id);
    expect(keys.length).toBe(5);

    const input = { stream: "orders", group: "billing" };
    expect((await h.call("mutation", "consumers.deleteGroup", input, viewer, { redisPrefix: prefix })).status).toBe(403);
    const refused = await h.call("mutation", "consumers.deleteGroup", input, operator, { redisPrefix: prefix });
    expect(refused.status).toBe(409);
    expect(refused.error?.message).toContain('has 2 live members (billing-1, billing-2)');
    expect(await groupRows(g.id)).toEqual(before);
    expect((await redisKeys(prefix, g.id)).sort()).toEqual(keys.sort());

    const done = await h.call<{ members: number; liveMembers: number; shardlets: number; checkpoints: number }>(
      "mutation",
      "consumers.deleteGroup",
      { ...input, force: true },
      operator,
      { redisPrefix: prefix },
    );
    expect(done.status, JSON.stringify(done.error)).toBe(200);
    expect(done.data).toEqual({ group: "billing", members: 2, liveMembers: 2, shardlets: 2, checkpoints: 2 });
    expect(await groupRows(g.id)).toEqual({ group: 0, members: 0, assignments: 0, checkpoints: 0, checkpointLog: 0, events: 0 });
    expect(await redisKeys(prefix, g.id)).toEqual([]);
    const groups = await h.call<{ groups: unknown[] }>("query", "consumers.groups", { stream: "orders" }, viewer);
    expect(groups.data?.groups).toEqual([]);

    const [op] = await listOperations(h.db, { limit: 1, kind: "consumer.group.delete" });
    expect(op).toMatchObject({ actor: await emailOf(h, operator), streamId, status: "succeeded" });
    expect(op!.message).toBe("deleted consumer group billing of stream orders, with 2 live members (billing-1, billing-2)");
  });

  it("deletes a group whose members' sessions expired without force; an unknown group is 404", async () => {
    const prefix = h.freshPrefix("cg-expired");
    const { g, members } = await groupWithProgress("ledger", prefix);
    for (const id of members) await touchConsumerMember(h.db, id, new Date(Date.now() - 120_000));
    const done = await h.call("mutation", "consumers.deleteGroup", { stream: "orders", group: "ledger" }, operator, { redisPrefix: prefix });
    expect(done.status, JSON.stringify(done.error)).toBe(200);
    expect((await groupRows(g.id)).group).toBe(0);
    expect((await h.call("mutation", "consumers.deleteGroup", { stream: "orders", group: "ledger" }, operator)).status).toBe(404);
    expect((await h.call("mutation", "consumers.deleteGroup", { stream: "nope", group: "ledger" }, operator)).status).toBe(404);
  });
});

describe("API keys scoped to consumer groups", () => {
  it("are created with their groups, listed with them, and carry them in the grant", async () => {
    const created = await h.call<{ id: string; token: string }>(
      "mutation",
      "apikeys.create",
      { name: "billing-reader", streams: ["orders"], canProduce: false, canConsume: true, consumerGroups: ["billing", "billing-replay", "billing"] },
      admin,
    );
    expect(created.status, JSON.stringify(created.error)).toBe(200);
    const key = (await listApiKeys(h.db)).find((k) => k.id === created.data!.id);
    expect(key?.consumerGroups).toEqual(["billing", "billing-replay"]);
    expect((await verifyApiKey(h.db, created.data!.token))?.consumerGroups).toEqual(["billing", "billing-replay"]);
    const listed = await h.call<{ keys: Array<{ id: string; consumerGroups: string[] }> }>("query", "apikeys.list", undefined, admin);
    expect(listed.data!.keys.find((k) => k.id === created.data!.id)?.consumerGroups).toEqual(["billing", "billing-replay"]);

    // Unscoped by default: any group.
    const open = await h.call<{ id: string; token: string }>("mutation", "apikeys.create", { name: "any-group", streams: ["*"] }, admin);
    expect((await verifyApiKey(h.db, open.data!.token))?.consumerGroups).toEqual([]);

    const bad = await h.call("mutation", "apikeys.create", { name: "bad", streams: ["*"], consumerGroups: ["has space"] }, admin);
    expect(bad.status).toBe(400);
    expect((await listApiKeys(h.db)).some((k) => k.name === "bad")).toBe(false);
  });
});
