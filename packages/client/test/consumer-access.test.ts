import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApiKey, listConsumerGroups } from "@shardcast/db";
import { endpoint } from "../src/http.ts";
import { GroupApi, ShardcastClientError, ShardcastConsumer } from "../src/index.ts";
import { recordingFetch, startHarness, type Harness } from "./harness.ts";

/** What the SDK meets when the edge keeps a key out of a group: it stops at once, with the edge's reason. */

const MAX_GROUPS = 2;

let h: Harness;
let billingOnly: string;
let otherTeam: string;

beforeAll(async () => {
  h = await startHarness({ stream: "orders", edge: { maxGroupsPerStream: MAX_GROUPS } });
  billingOnly = (await createApiKey(h.db, { name: "billing-only", streams: [h.stream], canProduce: false, canConsume: true, consumerGroups: ["billing"], createdById: null })).token;
  otherTeam = (await createApiKey(h.db, { name: "other-team", streams: [h.stream], canProduce: false, canConsume: true, createdById: null })).token;
});
afterAll(async () => {
  await h?.close();
});

function consumer(group: string, apiKey: string, fetch?: ReturnType<typeof recordingFetch>["fetch"]): ShardcastConsumer {
  return new ShardcastConsumer({ url: h.url, apiKey, stream: h.stream, group, handler: () => Promise.resolve(), ...(fetch ? { fetch } : {}) });
}

describe("consumer group access in the SDK", () => {
  it("describe() shows the ids of this key's members only, and names the others", async () => {
    const mine = new GroupApi(endpoint({ url: h.url, apiKey: h.token }), h.stream, "billing");
    const theirs = new GroupApi(endpoint({ url: h.url, apiKey: otherTeam }), h.stream, "billing");
    const a = await mine.join({ name: "mine" });
    const b = await theirs.join({ name: "theirs" });
    const view = await consumer("billing", h.token).describe();
    expect(view.members.map((m) => [m.name, m.id])).toEqual([
      ["mine", a.memberId],
      ["theirs", null],
    ]);
    for (const s of view.shardlets) expect(s.memberId).toBe(s.memberName === "mine" ? a.memberId : null);
    // Another key cannot act for this key's member.
    const err = await theirs.heartbeat(a.memberId).catch((e: unknown) => e);
    expect(err).toMatchObject({ status: 403, code: "forbidden" });
    await mine.leave(a.memberId, []);
    await theirs.leave(b.memberId, []);
  });

  it("stops at the join with 403 forbidden when its key is scoped to other groups, without retrying", async () => {
    const { fetch, log } = recordingFetch();
    const c = consumer("audit", billingOnly, fetch);
    const err = await c.start().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ShardcastClientError);
    expect(err).toMatchObject({ status: 403, code: "forbidden", message: 'API key "billing-only" is not scoped to consumer group "audit"' });
    expect(log.map((x) => x.status)).toEqual([403]);
  });

  it("stops at the join with 409 conflict when the group would pass the stream's limit", async () => {
    const first = consumer("second", h.token);
    await first.start();
    await first.stop();
    expect((await listConsumerGroups(h.db)).length).toBe(MAX_GROUPS);
    const { fetch, log } = recordingFetch();
    const err = await consumer("third", h.token, fetch).start().catch((e: unknown) => e);
    expect(err).toMatchObject({ status: 409, code: "conflict" });
    expect((err as Error).message).toContain(`the most it may have (${MAX_GROUPS})`);
    expect(log.map((x) => x.status)).toEqual([409]);
    expect((await listConsumerGroups(h.db)).map((g) => g.name).sort()).toEqual(["billing", "second"]);
  });
});
