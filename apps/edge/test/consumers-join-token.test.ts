import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApiKey, findConsumerGroup, getConsumerGroupState, touchConsumerMember } from "@shardcast/db";
import { post, startHarness, type Harness } from "./harness.ts";
import { groupsPath } from "./consumer-calls.ts";

/**
 * A join retried after its answer was lost must not leave a second member: the retry names the
 * same join token and gets the member the first attempt added. On a real edge (PostgreSQL, Redis).
 */

let h: Harness;
/** Another key that may read the stream and join any group. */
let other: string;

beforeAll(async () => {
  h = await startHarness({ stream: "tokens", shardCount: 2 });
  other = (await createApiKey(h.db, { name: "other-team", streams: [h.stream], canProduce: false, canConsume: true, createdById: null })).token;
});

afterAll(async () => {
  await h?.close();
});

const token = (tag: string): string => `join-${tag}-0123456789abcdef`;

async function join(group: string, body: Record<string, unknown>, key = h.token) {
  return post(h, `${groupsPath(h)}/${group}/members`, { name: "m", ...body }, key);
}

async function members(group: string): Promise<Array<{ id: string; apiKeyId: string | null }>> {
  const g = await findConsumerGroup(h.db, h.streamId, group);
  return g ? ((await getConsumerGroupState(h.db, g.id))?.members ?? []) : [];
}

describe("join tokens", () => {
  it("answers a join repeated with the same token with the member the first one added, its shardlets included", async () => {
    const first = await join("retried", { joinToken: token("a"), sessionTimeoutMs: 20_000 });
    expect(first.status, JSON.stringify(first.body)).toBe(201);
    const again = await join("retried", { joinToken: token("a"), sessionTimeoutMs: 30_000 });
    expect(again.status, JSON.stringify(again.body)).toBe(201);
    expect(again.body.memberId).toBe(first.body.memberId);
    // The member keeps the session it was added with.
    expect(again.body.sessionTimeoutMs).toBe(20_000);
    expect((await members("retried")).map((m) => m.id)).toEqual([first.body.memberId]);
    expect((again.body.assignments as unknown[]).length).toBe((first.body.assignments as unknown[]).length);
    expect((first.body.assignments as unknown[]).length).toBeGreaterThan(0);
  });

  it("gives concurrent joins with one token one member", async () => {
    const answers = await Promise.all(Array.from({ length: 5 }, () => join("racing", { joinToken: token("race") })));
    expect(answers.map((a) => a.status)).toEqual([201, 201, 201, 201, 201]);
    expect(new Set(answers.map((a) => a.body.memberId)).size).toBe(1);
    expect((await members("racing")).length).toBe(1);
  });

  it("adds a member per join without a token, and per distinct token", async () => {
    await join("plain", {});
    await join("plain", {});
    await join("plain", { joinToken: token("p1") });
    await join("plain", { joinToken: token("p2") });
    expect((await members("plain")).length).toBe(4);
  });

  it("never answers another key's member for its token", async () => {
    const mine = await join("shared", { joinToken: token("s") });
    const theirs = await join("shared", { joinToken: token("s") }, other);
    expect(theirs.status, JSON.stringify(theirs.body)).toBe(201);
    expect(theirs.body.memberId).not.toBe(mine.body.memberId);
    const list = await members("shared");
    expect(list.length).toBe(2);
    expect(new Set(list.map((m) => m.apiKeyId)).size).toBe(2);
  });

  it("adds a new member when the token's member has expired, and removes the expired one", async () => {
    const first = await join("expired", { joinToken: token("e") });
    const oldId = first.body.memberId as string;
    // Last seen an hour ago: its session (15 s) is long over.
    await touchConsumerMember(h.db, oldId, new Date(Date.now() - 3_600_000));
    const again = await join("expired", { joinToken: token("e") });
    expect(again.status, JSON.stringify(again.body)).toBe(201);
    expect(again.body.memberId).not.toBe(oldId);
    expect((await members("expired")).map((m) => m.id)).toEqual([again.body.memberId]);
  });

  it("refuses a malformed token with 400 and adds nobody", async () => {
    for (const bad of ["short", "x".repeat(65), "has spaces in it, sixteen+", "ünïcödé-ünïcödé-ünïcödé", 12345678901234567890, ""]) {
      const res = await join("malformed", { joinToken: bad });
      expect(res.status, `${JSON.stringify(bad)}: ${JSON.stringify(res.body)}`).toBe(400);
      expect(JSON.stringify(res.body)).toContain("joinToken");
    }
    expect(await members("malformed")).toEqual([]);
  });
});
