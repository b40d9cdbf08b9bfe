import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { decodeBucket, telemetryRedisKeys } from "@shardcast/core";
import { getConsumerGroupState, findConsumerGroup, listGroupEvents } from "@shardcast/db";
import { waitFor } from "@shardcast/db/testing";
import { testRedisUrl } from "@shardcast/runtime/testing/env";
import { get, post, startHarness, type Harness } from "./harness.ts";

/**
 * The consumer-group API on a real edge (PostgreSQL, Redis): joins, polls, commits, leaves, and
 * every refusal a member can meet, each leaving the group's positions unchanged.
 */

let h: Harness;

beforeAll(async () => {
  h = await startHarness({ stream: "consumed", shardCount: 2 });
});

afterAll(async () => {
  await h?.close();
});

const base = () => `/v1/streams/${h.stream}/groups`;

interface Assignment {
  shardletId: string;
  generation: number;
  position: number;
}
interface Batch {
  shardletId: string;
  generation: number;
  events: Array<{ seq: number; id: string | null }>;
  next: number;
}

async function join(group: string, name: string, start?: "latest") {
  const res = await post(h, `${base()}/${group}/members`, { name, ...(start ? { start } : {}) });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body as { memberId: string; assignments: Assignment[] };
}

async function poll(group: string, member: string, body: Record<string, unknown> = {}) {
  return post(h, `${base()}/${group}/members/${member}/poll`, body);
}

async function produce(n: number, tag: string): Promise<Map<string, number>> {
  const events = Array.from({ length: n }, (_, i) => ({ key: `k-${tag}-${i}`, id: `${tag}-${i}`, type: "t", payload: { i } }));
  const res = await post(h, `/v1/streams/${h.stream}/events`, { events });
  expect(res.status).toBe(200);
  const acks = res.body.events as Array<{ seq: number }>;
  return new Map(events.map((e, i) => [e.id, acks[i]!.seq]));
}

/**
 * Polls (committing each answer's batches with the next poll) until a poll delivers nothing;
 * returns how often each id was delivered and the commits of the last answer, not yet sent.
 */
async function drain(group: string, member: string, commits: Array<Record<string, unknown>> = []) {
  const seen = new Map<string, number>();
  let pending = commits;
  for (let round = 0; round < 100; round++) {
    const res = await poll(group, member, { commits: pending, limit: 100 });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    const batches = res.body.batches as Batch[];
    for (const b of batches) for (const e of b.events) seen.set(e.id!, (seen.get(e.id!) ?? 0) + 1);
    pending = batches.map((b) => ({ shardletId: b.shardletId, generation: b.generation, position: b.next, events: b.events.length }));
    if (batches.every((b) => b.events.length === 0)) break;
  }
  return { seen, pending };
}

describe("consumer groups on the edge", () => {
  it("delivers every event once to one member, in order per shardlet, and commits move the cursor", async () => {
    const m = await join("solo", "a");
    const routed = h.edge.routing;
    const entry = await routed.get(h.stream);
    expect(m.assignments.map((a) => a.shardletId).sort()).toEqual(entry!.table.all().map((s) => s.id).sort());
    const acked = await produce(300, "solo");
    const { seen, pending } = await drain("solo", m.memberId);
    expect([...seen.values()].every((n) => n === 1)).toBe(true);
    expect(seen.size).toBe(300);
    // After committing, a poll delivers nothing again.
    const after = await poll("solo", m.memberId, { commits: pending });
    expect((after.body.batches as Batch[]).flatMap((b) => b.events)).toEqual([]);
    const described = await get(h, `${base()}/solo`);
    expect(described.status).toBe(200);
    const maxSeq = Math.max(...acked.values());
    for (const s of described.body.shardlets as Array<{ position: number }>) expect(s.position).toBeGreaterThanOrEqual(maxSeq);
  });

  it("reads a member's next page while it works, and answers its next poll from that read, every event once", async () => {
    // From the latest position: the events earlier tests read are in the cache already.
    const m = await join("ahead", "a", "latest");
    await produce(300, "ahead");
    const total = h.edge.readCache.stats.total;
    const aheads = total.readAheads;
    const first = await poll("ahead", m.memberId, { limit: 100 });
    expect(first.status, JSON.stringify(first.body)).toBe(200);
    const batches = first.body.batches as Batch[];
    expect(batches.flatMap((b) => b.events)).toHaveLength(100);
    // The page stopped short of the watermark: the next one is read while the member works.
    await waitFor("the read-ahead of the member's next page", () => total.readAheads > aheads);
    const [saved, fromHosts] = [total.hostReadsSaved, total.bytesFromHosts];
    const commits = batches.map((b) => ({ shardletId: b.shardletId, generation: b.generation, position: b.next, events: b.events.length }));
    const second = await poll("ahead", m.memberId, { commits, limit: 100 });
    expect(second.status, JSON.stringify(second.body)).toBe(200);
    expect((second.body.batches as Batch[]).flatMap((b) => b.events)).toHaveLength(100);
    expect(total.hostReadsSaved).toBe(saved + 1);
    expect(total.bytesFromHosts).toBe(fromHosts);
    const seen = new Map<string, number>();
    for (const b of [...batches, ...(second.body.batches as Batch[])]) for (const e of b.events) seen.set(e.id!, (seen.get(e.id!) ?? 0) + 1);
    const rest = await drain("ahead", m.memberId, (second.body.batches as Batch[]).map((b) => ({ shardletId: b.shardletId, generation: b.generation, position: b.next, events: b.events.length })));
    for (const [id, n] of rest.seen) seen.set(id, (seen.get(id) ?? 0) + n);
    expect(seen.size).toBe(300);
    expect([...seen.values()].every((n) => n === 1)).toBe(true);
  });

  it("reads ahead only for a member whose work on a page outlasts reading one", async () => {
    const m = await join("busy", "a", "latest");
    await produce(600, "busy");
    const total = h.edge.readCache.stats.total;
    const commitsOf = (batches: Batch[]) => batches.map((b) => ({ shardletId: b.shardletId, generation: b.generation, position: b.next, events: b.events.length }));
    const page = async (body: Record<string, unknown>) => {
      const res = await poll("busy", m.memberId, { limit: 100, ...body });
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      const batches = res.body.batches as Batch[];
      expect(batches.flatMap((b) => b.events)).toHaveLength(100);
      return batches;
    };
    // A poll without figures is read ahead for (and the edge times its own host read).
    let aheads = total.readAheads;
    let batches = await page({});
    await waitFor("the first read-ahead", () => total.readAheads > aheads);
    // The member says it handled that page at once: its next page is not read while it "works"...
    batches = await page({ commits: commitsOf(batches), stats: { events: 100, processingMs: 0 } });
    const fromHosts = total.bytesFromHosts;
    batches = await page({ commits: commitsOf(batches), stats: { events: 100, processingMs: 0 } });
    // ...so the poll after it reads the hosts itself.
    expect(total.bytesFromHosts).toBeGreaterThan(fromHosts);
    // A member that worked on its page for longer than a read takes is read ahead for again.
    aheads = total.readAheads;
    batches = await page({ commits: commitsOf(batches), stats: { events: 100, processingMs: 60_000 } });
    await waitFor("the read-ahead for a busy member", () => total.readAheads > aheads);
    const saved = total.hostReadsSaved;
    await page({ commits: commitsOf(batches) });
    expect(total.hostReadsSaved).toBe(saved + 1);
  });

  it("counts each group's polls under the group's name in the readers' telemetry", async () => {
    await produce(20, "who");
    const reads = new Map<string, number>();
    for (const group of ["ledger", "mailer"]) {
      const m = await join(group, "a");
      const { seen } = await drain(group, m.memberId);
      expect(seen.size).toBeGreaterThanOrEqual(20);
    }
    await h.edge.telemetry.flush();
    const redis = new Redis(testRedisUrl());
    try {
      const keys = telemetryRedisKeys(h.prefix);
      for (const b of (await redis.zrange(keys.dirty, 0, -1)).map(Number)) {
        const d = decodeBucket(b, { counters: {}, maxima: [], hotKeys: {}, clients: await redis.hgetall(keys.bucket("r", b)) });
        for (const c of d.deltas.clients) reads.set(c.clientGroup, (reads.get(c.clientGroup) ?? 0) + c.reads);
      }
    } finally {
      await redis.quit();
    }
    // Both groups read with the same key and no headers: each is told apart by its own name.
    expect(reads.get("ledger")).toBeGreaterThanOrEqual(20);
    expect(reads.get("mailer")).toBeGreaterThanOrEqual(20);
    expect(reads.get("default")).toBeUndefined();
  });

  it("refuses bad input with a 4xx and changes nothing", async () => {
    const m = await join("strict", "a");
    await produce(20, "strict");
    const first = await poll("strict", m.memberId, { limit: 100 });
    const batch = (first.body.batches as Batch[]).find((b) => b.events.length > 0)!;
    const group = await findConsumerGroup(h.db, h.streamId, "strict");
    const before = await get(h, `${base()}/strict`);

    const stale = await poll("strict", m.memberId, { commits: [{ shardletId: batch.shardletId, generation: batch.generation + 7, position: batch.next }] });
    expect(stale.status).toBe(409);
    expect((stale.body.error as { details: { stale: unknown[] } }).details.stale).toHaveLength(1);

    const notMine = await poll("strict", m.memberId, { commits: [{ shardletId: "not-a-shardlet", generation: 1, position: 1 }] });
    expect(notMine.status).toBe(409);

    const beyond = await poll("strict", m.memberId, { commits: [{ shardletId: batch.shardletId, generation: batch.generation, position: 9_000_000_000_000 }] });
    expect(beyond.status).toBe(400);
    expect((beyond.body.error as { message: string }).message).toMatch(/watermark/);

    expect((await poll("strict", m.memberId, { limit: 5000 })).status).toBe(400);
    expect((await poll("strict", m.memberId, { commits: [{ shardletId: batch.shardletId, generation: 1, position: -1 }] })).status).toBe(400);
    expect((await poll("strict", m.memberId, { surprise: true })).status).toBe(400);
    expect((await poll("strict", "nobody", {})).status).toBe(404);
    expect((await poll("no-such-group", m.memberId, {})).status).toBe(404);
    // A key scoped to other streams is refused before the stream is looked up.
    expect((await post(h, `/v1/streams/nope/groups/g/members`, {})).status).toBe(403);
    expect((await post(h, `${base()}/bad%20name/members`, {})).status).toBe(400);
    expect((await post(h, `${base()}/strict/members`, { sessionTimeoutMs: 10 })).status).toBe(400);
    expect((await post(h, `${base()}/strict/members`, {}, null)).status).toBe(401);

    // Nothing moved: the same positions, the same members. Their liveness aside: a refused poll
    // still shows its member is alive, and the edge records that at most once a second.
    const settled = (r: { status: number; body: Record<string, unknown> }) => ({
      status: r.status,
      body: { ...r.body, members: (r.body.members as Array<Record<string, unknown>>).map(({ lastSeenAt: _seen, ...rest }) => rest) },
    });
    expect(settled(await get(h, `${base()}/strict`))).toEqual(settled(before));
    expect((await getConsumerGroupState(h.db, group!.id))!.members).toHaveLength(1);
  });

  it("shares shardlets between members, hands them over at the holder's poll, and takes them back on leave", async () => {
    const a = await join("pair", "a");
    const all = a.assignments.map((x) => x.shardletId).sort();
    expect(all.length).toBeGreaterThanOrEqual(2);
    const b = await join("pair", "b");
    // The newcomer gets its share once the holder has polled (its commits come first).
    const handed = await poll("pair", a.memberId, {});
    expect(handed.status).toBe(200);
    const aHolds = (handed.body.assignments as Assignment[]).map((x) => x.shardletId);
    const bHolds = ((await poll("pair", b.memberId, {})).body.assignments as Assignment[]).map((x) => x.shardletId);
    expect(bHolds.length).toBeGreaterThan(0);
    expect([...aHolds, ...bHolds].sort()).toEqual(all);

    const acked = await produce(200, "pair");
    const fromA = await drain("pair", a.memberId);
    // b processes one batch and leaves without committing it: that batch is its uncommitted tail.
    const bPoll = await poll("pair", b.memberId, { limit: 100 });
    const tail = (bPoll.body.batches as Batch[]).flatMap((x) => x.events.map((e) => e.id!));
    expect(tail.length).toBeGreaterThan(0);

    expect((await post(h, `${base()}/pair/members/${b.memberId}`, {})).status).toBe(405);
    const left = await fetch(`${h.url}${base()}/pair/members/${b.memberId}`, { method: "DELETE", headers: { authorization: `Bearer ${h.token}` } });
    expect(left.status).toBe(200);
    const rest = await drain("pair", a.memberId, fromA.pending);
    const after = await poll("pair", a.memberId, { commits: rest.pending });
    expect((after.body.assignments as Assignment[]).map((x) => x.shardletId).sort()).toEqual(all);
    // Every acknowledged event reached a member; only b's uncommitted tail was delivered twice.
    const delivered = new Map<string, number>();
    for (const id of [...fromA.seen.keys(), ...tail, ...rest.seen.keys()]) delivered.set(id, (delivered.get(id) ?? 0) + 1);
    for (const id of acked.keys()) expect(delivered.has(id), id).toBe(true);
    const twice = [...delivered].filter(([, n]) => n > 1).map(([id]) => id).sort();
    expect(twice).toEqual([...tail].sort());
    const group = await findConsumerGroup(h.db, h.streamId, "pair");
    const kinds = (await listGroupEvents(h.db, group!.id, 50)).map((e) => e.kind);
    expect(kinds).toEqual(expect.arrayContaining(["join", "leave", "handoff"]));
  });

  it("a long poll answers only for the shardlets its member still holds when the wait ends", async () => {
    // From the latest position: the earlier tests' events would answer the poll at once.
    const a = await join("waiting", "a", "latest");
    const all = a.assignments.map((x) => x.shardletId).sort();
    expect(all.length).toBeGreaterThanOrEqual(2);
    // a waits on an idle stream, longer than a hand-off may take; b joins meanwhile, and its polls
    // take its share at the hand-off deadline, since a is not polling (committing) to hand it over.
    const waiting = poll("waiting", a.memberId, { maxWaitMs: 10_000 });
    const b = await join("waiting", "b", "latest");
    const bHolds = await waitFor(
      "b to get its share",
      async () => {
        const res = await poll("waiting", b.memberId, {});
        const held = (res.body.assignments as Assignment[]).map((x) => x.shardletId);
        return held.length > 0 ? held : null;
      },
      9_000,
    );
    await produce(100, "waiting");
    const answer = await waiting;
    expect(answer.status, JSON.stringify(answer.body)).toBe(200);
    const aHolds = (answer.body.assignments as Assignment[]).map((x) => x.shardletId);
    const batches = answer.body.batches as Batch[];
    expect(aHolds.filter((id) => bHolds.includes(id))).toEqual([]);
    expect(batches.map((x) => x.shardletId).filter((id) => bHolds.includes(id))).toEqual([]);
    // Nothing a delivered is delivered to b as well.
    const fromB = await drain("waiting", b.memberId);
    const toA = batches.flatMap((x) => x.events.map((e) => e.id!));
    expect(toA.filter((id) => fromB.seen.has(id))).toEqual([]);
  });

  it("a member stays in its group through a long poll that outlasts its session", async () => {
    const res = await post(h, `${base()}/short/members`, { name: "a", sessionTimeoutMs: 3_000, start: "latest" });
    expect(res.status).toBe(201);
    const memberId = (res.body as { memberId: string }).memberId;
    // Nothing is written, so the poll waits out its 5 s: longer than the session lasts.
    const waited = await poll("short", memberId, { maxWaitMs: 5_000 });
    expect(waited.status, JSON.stringify(waited.body)).toBe(200);
    const next = await poll("short", memberId, {});
    expect(next.status, JSON.stringify(next.body)).toBe(200);
  });

  it("reads one shardlet's events after a position, never past the watermark", async () => {
    const acked = await produce(100, "direct");
    const list = await get(h, `/v1/streams/${h.stream}/shardlets`);
    expect(list.status).toBe(200);
    const shardlets = list.body.shardlets as Array<{ id: string }>;
    const got = new Set<string>();
    for (const s of shardlets) {
      let after = 0;
      for (let i = 0; i < 100; i++) {
        const page = await get(h, `/v1/streams/${h.stream}/shardlets/${s.id}/events?after=${after}&limit=50`);
        expect(page.status).toBe(200);
        const events = page.body.events as Array<{ id: string; seq: number }>;
        for (const e of events) got.add(e.id);
        expect(events.every((e) => e.seq > after && e.seq <= (page.body.watermark as number))).toBe(true);
        if (events.length === 0) break;
        after = page.body.next as number;
      }
    }
    for (const id of acked.keys()) expect(got.has(id), id).toBe(true);
    expect((await get(h, `/v1/streams/${h.stream}/shardlets/nope/events`)).status).toBe(404);
    expect((await get(h, `/v1/streams/${h.stream}/shardlets/${shardlets[0]!.id}/events?after=-3`)).status).toBe(400);
  });
});
