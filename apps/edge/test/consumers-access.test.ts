import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApiKey, deleteConsumerGroup, findConsumerGroup, getConsumerGroupState, listConsumerGroups } from "@shardcast/db";
import { get, post, startHarness, type Harness } from "./harness.ts";

/**
 * Who may act in a consumer group, on a real edge (PostgreSQL, Redis): a member answers only to
 * the key that joined it, a key scoped to groups reaches only those, and a stream's groups are
 * capped. Every refusal leaves the group as it was.
 */

const MAX_GROUPS = 6;

let h: Harness;
/** Another team's key: may read the stream, any group. */
let other: string;
/** A key scoped to the group "billing". */
let billingOnly: string;

beforeAll(async () => {
  h = await startHarness({ stream: "guarded", shardCount: 2, edge: { maxGroupsPerStream: MAX_GROUPS } });
  other = (await createApiKey(h.db, { name: "other-team", streams: [h.stream], canProduce: false, canConsume: true, createdById: null })).token;
  billingOnly = (await createApiKey(h.db, { name: "billing-only", streams: [h.stream], canProduce: false, canConsume: true, consumerGroups: ["billing"], createdById: null })).token;
});

afterAll(async () => {
  await h?.close();
});

const base = () => `/v1/streams/${h.stream}/groups`;

interface Assignment {
  shardletId: string;
  generation: number;
}
interface PollAnswer {
  assignments: Assignment[];
  batches: Array<{ shardletId: string; generation: number; events: unknown[]; next: number }>;
  watermark: number;
}

async function join(group: string, name: string, token = h.token) {
  return post(h, `${base()}/${group}/members`, { name }, token);
}

async function del(path: string, token: string) {
  const res = await fetch(h.url + path, { method: "DELETE", headers: { authorization: `Bearer ${token}` } });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

async function produce(n: number, tag: string): Promise<void> {
  const events = Array.from({ length: n }, (_, i) => ({ key: `k-${tag}-${i}`, id: `${tag}-${i}`, type: "t", payload: { i } }));
  expect((await post(h, `/v1/streams/${h.stream}/events`, { events })).status).toBe(200);
}

describe("consumer group access", () => {
  it("refuses another key's commit, poll, heartbeat and leave for a member, and the member keeps every event", async () => {
    const joined = await join("victims", "victim");
    expect(joined.status, JSON.stringify(joined.body)).toBe(201);
    const memberId = joined.body.memberId as string;
    const held = joined.body.assignments as Assignment[];
    expect(held.length).toBeGreaterThan(0);
    await produce(40, "victims");
    const group = (await findConsumerGroup(h.db, h.streamId, "victims"))!;
    const before = (await getConsumerGroupState(h.db, group.id))!.members.find((m) => m.id === memberId)!;

    // The other key knows the member id and the generations; it commits everything up to the watermark.
    const watermark = await h.edge.sequences.watermark(h.streamId);
    const commits = held.map((a) => ({ shardletId: a.shardletId, generation: a.generation, position: watermark }));
    const member = `${base()}/victims/members/${memberId}`;
    const refusals = [
      await post(h, `${member}/commit`, { commits }, other),
      await post(h, `${member}/poll`, { commits }, other),
      await post(h, `${member}/heartbeat`, {}, other),
      await del(member, other),
    ];
    for (const r of refusals) {
      expect(r.status, JSON.stringify(r.body)).toBe(403);
      expect((r.body.error as { code: string; message: string }).message).toContain("joined with another API key");
    }

    // Nothing changed: the member is there, not touched, and its own poll delivers all 40 events.
    const after = (await getConsumerGroupState(h.db, group.id))!.members.find((m) => m.id === memberId);
    expect(after?.lastSeenAt).toBe(before.lastSeenAt);
    const own = await post(h, `${member}/poll`, { limit: 1000 });
    expect(own.status, JSON.stringify(own.body)).toBe(200);
    expect((own.body as unknown as PollAnswer).batches.reduce((n, b) => n + b.events.length, 0)).toBe(40);
  });

  it("shows member ids only to the key that joined them", async () => {
    const mine = await join("shared", "mine");
    const theirs = await join("shared", "theirs", other);
    expect([mine.status, theirs.status]).toEqual([201, 201]);
    type Described = { members: Array<{ id: string | null; name: string }>; shardlets: Array<{ memberId: string | null; memberName: string | null }> };
    const seen = async (token: string) => {
      const res = await get(h, `${base()}/shared`, token);
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      return res.body as unknown as Described;
    };
    const byOwner = await seen(h.token);
    expect(byOwner.members.map((m) => [m.name, m.id])).toEqual([
      ["mine", mine.body.memberId],
      ["theirs", null],
    ]);
    const byOther = await seen(other);
    expect(byOther.members.map((m) => [m.name, m.id])).toEqual([
      ["mine", null],
      ["theirs", theirs.body.memberId],
    ]);
    // Shardlets name their holder, without another key's member id.
    expect(byOther.shardlets.every((s) => s.memberName !== null)).toBe(true);
    for (const s of byOther.shardlets) expect(s.memberId).toBe(s.memberName === "theirs" ? theirs.body.memberId : null);
  });

  it("keeps a key scoped to groups out of every other group, creating nothing", async () => {
    const victim = await join("ledger", "ledger-1");
    expect(victim.status).toBe(201);
    const memberId = victim.body.memberId as string;
    const refused = [
      await join("elsewhere", "intruder", billingOnly),
      await join("ledger", "intruder", billingOnly),
      await get(h, `${base()}/ledger`, billingOnly),
      await post(h, `${base()}/ledger/members/${memberId}/poll`, {}, billingOnly),
      await post(h, `${base()}/ledger/members/${memberId}/heartbeat`, {}, billingOnly),
      await del(`${base()}/ledger/members/${memberId}`, billingOnly),
    ];
    for (const r of refused) {
      expect(r.status, JSON.stringify(r.body)).toBe(403);
      expect((r.body.error as { message: string }).message).toContain('is not scoped to consumer group');
    }
    expect(await findConsumerGroup(h.db, h.streamId, "elsewhere")).toBeNull();
    const ledger = (await getConsumerGroupState(h.db, (await findConsumerGroup(h.db, h.streamId, "ledger"))!.id))!;
    expect(ledger.members.map((m) => m.name)).toEqual(["ledger-1"]);
    // Its own group is open to it.
    expect((await join("billing", "billing-1", billingOnly)).status).toBe(201);
  });

  it("refuses a join that would create a group past the stream's limit, storing nothing", async () => {
    const existing = (await listConsumerGroups(h.db, h.streamId)).length;
    for (let i = existing; i < MAX_GROUPS - 1; i++) expect((await join(`filler-${i}`, "m")).status).toBe(201);
    // Five joins race for the last free place: exactly one creates its group.
    const racing = await Promise.all(Array.from({ length: 5 }, (_, i) => join(`racer-${i}`, "m")));
    expect(racing.map((r) => r.status).sort()).toEqual([201, 409, 409, 409, 409]);
    const refused = racing.find((r) => r.status === 409)!;
    expect((refused.body.error as { message: string }).message).toContain(`the most it may have (${MAX_GROUPS})`);
    const groups = await listConsumerGroups(h.db, h.streamId);
    expect(groups.length).toBe(MAX_GROUPS);
    expect(groups.filter((g) => g.name.startsWith("racer-")).length).toBe(1);
    // Existing groups still take members at the limit.
    expect((await join("victims", "another")).status).toBe(201);
  });

  it("serves a group deleted and created again, also on an edge that had the old one cached", async () => {
    const second = await h.startEdge();
    const at = (url: string, path: string, body: unknown) =>
      fetch(url + path, { method: "POST", headers: { "content-type": "application/json", authorization: `Bearer ${h.token}` }, body: JSON.stringify(body) });
    const first = (await (await at(h.url, `${base()}/victims/members`, { name: "cached" })).json()) as { memberId: string };
    expect((await at(second, `${base()}/victims/members/${first.memberId}/poll`, {})).status).toBe(200);

    await deleteConsumerGroup(h.db, { streamId: h.streamId, name: "victims", now: Date.now(), force: true });
    const again = (await (await at(h.url, `${base()}/victims/members`, { name: "anew" })).json()) as { memberId: string };
    const poll = await at(second, `${base()}/victims/members/${again.memberId}/poll`, {});
    expect(poll.status, await poll.clone().text()).toBe(200);
    expect((await at(second, `${base()}/victims/members/${first.memberId}/poll`, {})).status).toBe(404);
  });
});
