import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CONSUMER_SETTINGS_KEY, type MemberTelemetry } from "@shardcast/core";
import { findConsumerGroup, getConsumerGroupState, updateSetting, type ConsumerMemberInfo } from "@shardcast/db";
import { waitFor } from "@shardcast/db/testing";
import { post, startHarness, type Harness } from "./harness.ts";
import { groupsPath, joinMember } from "./consumer-calls.ts";

/**
 * Members' telemetry on a real edge (PostgreSQL, Redis): a heartbeat or a poll stores it, bad
 * telemetry is refused and stores nothing, clients sending none keep working, and a member whose
 * handler is three times slower ends up holding fewer shardlets.
 */

let h: Harness;

beforeAll(async () => {
  // 4 shards of 2 shardlets: 8 shardlets to share out.
  h = await startHarness({ stream: "telemetry", shardCount: 4 });
});

afterAll(async () => {
  await h?.close();
});

const sample = (events: number, handlerMs: number): MemberTelemetry => ({ cpu: 0.42, rssBytes: 123_456_789, heapUsedBytes: 45_678_901, loopLagMs: 3.5, events, handlerMs });
const memberPath = (group: string, id: string) => `${groupsPath(h)}/${group}/members/${id}`;

async function members(group: string): Promise<ConsumerMemberInfo[]> {
  const g = await findConsumerGroup(h.db, h.streamId, group);
  return g ? ((await getConsumerGroupState(h.db, g.id))?.members ?? []) : [];
}

async function stored(group: string, id: string): Promise<ConsumerMemberInfo> {
  const m = (await members(group)).find((x) => x.id === id);
  if (!m) throw new Error(`member ${id} is gone`);
  return m;
}

/** Polls as the member (committing nothing); the shardlets it holds afterwards. */
async function poll(group: string, id: string, body: Record<string, unknown> = {}): Promise<string[]> {
  const res = await post(h, `${memberPath(group, id)}/poll`, { limit: 1, ...body });
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return (res.body.assignments as Array<{ shardletId: string }>).map((a) => a.shardletId);
}

describe("member telemetry", () => {
  it("stores a heartbeat's telemetry, and a poll's", async () => {
    const id = await joinMember(h, "stored", "m");
    const hb = await post(h, `${memberPath("stored", id)}/heartbeat`, { telemetry: sample(500, 1500) });
    expect(hb.status, JSON.stringify(hb.body)).toBe(200);
    const m = await stored("stored", id);
    expect(m.telemetry).toEqual(sample(500, 1500));
    expect(m.telemetryAt).toBe(m.lastSeenAt);
    // Polls store theirs at the heartbeat's pace (once a second): poll until one has.
    await waitFor("a poll's telemetry to be stored", async () => {
      await poll("stored", id, { telemetry: sample(900, 2000) });
      return (await stored("stored", id)).telemetry?.events === 900;
    });
  });

  it("keeps serving members that send no telemetry", async () => {
    const id = await joinMember(h, "plain", "m");
    const bare = await fetch(`${h.url}${memberPath("plain", id)}/heartbeat`, { method: "POST", headers: { authorization: `Bearer ${h.token}` } });
    expect(bare.status).toBe(200);
    expect((await post(h, `${memberPath("plain", id)}/heartbeat`, {})).status).toBe(200);
    expect((await poll("plain", id)).length).toBe(8);
    const m = await stored("plain", id);
    expect(m.telemetry).toBeNull();
    expect(m.capacity).toBeNull();
  });

  it("refuses bad telemetry with 400 and stores nothing", async () => {
    const id = await joinMember(h, "refused", "m");
    expect((await post(h, `${memberPath("refused", id)}/heartbeat`, { telemetry: sample(10, 20) })).status).toBe(200);
    const before = await stored("refused", id);
    const bad: unknown[] = [
      { ...sample(1, 1), cpu: -0.5 },
      { ...sample(1, 1), loopLagMs: 1e12 },
      { ...sample(1, 1), events: 1.5 },
      { ...sample(1, 1), rssBytes: "lots" },
      { ...sample(1, 1), gpu: 1 },
      { cpu: 1 },
    ];
    for (const telemetry of bad) {
      const hb = await post(h, `${memberPath("refused", id)}/heartbeat`, { telemetry });
      expect(hb.status, JSON.stringify(hb.body)).toBe(400);
      expect(JSON.stringify(hb.body)).toContain("telemetry");
      const p = await post(h, `${memberPath("refused", id)}/poll`, { telemetry });
      expect(p.status, JSON.stringify(p.body)).toBe(400);
    }
    const after = await stored("refused", id);
    expect(after.telemetry).toEqual(before.telemetry);
    expect(after.telemetryAt).toBe(before.telemetryAt);
    expect(after.lastSeenAt).toBe(before.lastSeenAt);
  });

  it("gives a member three times slower fewer shardlets, and its fast peer more", async () => {
    const fast = await joinMember(h, "weighed", "fast");
    const slow = await joinMember(h, "weighed", "slow");
    const start = { fast: await poll("weighed", fast), slow: await poll("weighed", slow) };
    expect(start.fast.length).toBe(4);
    expect(start.slow.length).toBe(4);
    // Same sample size, three times the handler time per event.
    expect((await post(h, `${memberPath("weighed", fast)}/heartbeat`, { telemetry: sample(3000, 1000) })).status).toBe(200);
    expect((await post(h, `${memberPath("weighed", slow)}/heartbeat`, { telemetry: sample(3000, 3000) })).status).toBe(200);
    // The slow member's shardlets are handed over at its next poll (its commits come first).
    const settled = await waitFor("the slow member to give shardlets to the fast one", async () => {
      const s = await poll("weighed", slow);
      const f = await poll("weighed", fast);
      return s.length + f.length === 8 && s.length < 4 && { s, f };
    });
    expect(settled.s.length).toBe(2);
    expect(settled.f.length).toBe(6);
    expect(new Set([...settled.s, ...settled.f]).size).toBe(8);
    const capacities = new Map((await members("weighed")).map((m) => [m.name, m.capacity]));
    expect(capacities.get("fast")).toBe(3000);
    expect(capacities.get("slow")).toBe(1000);
    // Settled: further polls with the same figures move nothing.
    expect((await poll("weighed", slow)).sort()).toEqual([...settled.s].sort());
  });

  it("weighs every member the same when the setting says equal", async () => {
    await updateSetting(h.db, CONSUMER_SETTINGS_KEY, { memberWeighting: "equal" }, null);
    try {
      // A fresh edge reads the setting at once (edges cache settings for a few seconds).
      const url = await h.startEdge();
      const at = (path: string, body: unknown) =>
        fetch(url + path, { method: "POST", headers: { "content-type": "application/json", authorization: `Bearer ${h.token}` }, body: JSON.stringify(body) });
      const join = async (name: string) => ((await (await at(`${groupsPath(h)}/equal/members`, { name })).json()) as { memberId: string }).memberId;
      const fast = await join("fast");
      const slow = await join("slow");
      expect((await at(`${memberPath("equal", fast)}/heartbeat`, { telemetry: sample(3000, 1000) })).status).toBe(200);
      expect((await at(`${memberPath("equal", slow)}/heartbeat`, { telemetry: sample(3000, 3000) })).status).toBe(200);
      const held = async (id: string) => ((await (await at(`${memberPath("equal", id)}/poll`, { limit: 1 })).json()) as { assignments: unknown[] }).assignments.length;
      // The fast member polls first: the slow one's half is handed to it at that poll.
      expect([await held(fast), await held(slow), await held(fast), await held(slow)]).toEqual([4, 4, 4, 4]);
      expect((await members("equal")).map((m) => m.capacity)).toEqual([null, null]);
    } finally {
      await updateSetting(h.db, CONSUMER_SETTINGS_KEY, {}, null);
    }
  });
});
