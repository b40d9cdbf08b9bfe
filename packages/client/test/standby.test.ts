import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { waitFor } from "@shardcast/db/testing";
import { ShardcastConsumer, ShardcastProducer, type StoredEvent } from "../src/index.ts";
import { get, recordingFetch, startHarness, type Exchange, type Harness } from "./harness.ts";

// One shard of two shardlets, so a group of four always has two members holding nothing.
let h: Harness;
let producer: ShardcastProducer;
let shardletCount: number;
beforeAll(async () => {
  h = await startHarness({ stream: "standby", shardCount: 1 });
  producer = new ShardcastProducer({ url: h.url, apiKey: h.token, stream: h.stream });
  const listed = await get(h, `/v1/streams/${h.stream}/shardlets`);
  shardletCount = (listed.body.shardlets as unknown[]).length;
});
afterAll(async () => {
  await producer?.close();
  await h?.close();
});

const running: ShardcastConsumer[] = [];
afterEach(async () => {
  for (const c of running.splice(0)) await c.stop();
});

const LONG_POLL_MS = 1000;

interface Member {
  consumer: ShardcastConsumer;
  events: StoredEvent[];
  log: Exchange[];
}

function member(group: string): Member {
  const { fetch, log } = recordingFetch();
  const m: Member = { consumer: null as unknown as ShardcastConsumer, events: [], log };
  m.consumer = new ShardcastConsumer({
    url: h.url,
    apiKey: h.token,
    stream: h.stream,
    group,
    start: "latest",
    maxWaitMs: LONG_POLL_MS,
    fetch,
    handler: (batch) => {
      m.events.push(...batch.events);
      return Promise.resolve();
    },
  });
  running.push(m.consumer);
  return m;
}

const isPoll = (x: Exchange) => x.method === "POST" && x.url.endsWith("/poll");

/** An answered poll that carried no event: with shardlets held, the edge kept it open for the whole long-poll wait. */
function emptyAnswer(x: Exchange): boolean {
  if (!isPoll(x) || x.status !== 200) return false;
  const batches = (x.body as { batches?: Array<{ events: unknown[] }> } | null)?.batches;
  return batches !== undefined && batches.length > 0 && batches.every((b) => b.events.length === 0);
}

describe("a member holding no shardlet", () => {
  it("waits between polls even with a long poll, instead of polling back to back", async () => {
    const members = [member("standby"), member("standby"), member("standby"), member("standby")];
    expect(members.length).toBeGreaterThan(shardletCount);
    for (const m of members) await m.consumer.start();
    const held = () => members.map((m) => m.consumer.metrics().assignments);
    // Idle shardlets spread by count, one a member; a hand-off shows as a shardlet held twice or
    // not at all in the members' own views until both sides have polled.
    await waitFor("each shardlet held by its own member", () => {
      const all = held().flat();
      return all.length === shardletCount && new Set(all).size === shardletCount && held().every((ids) => ids.length <= 1);
    }, 30_000);
    const active = members.filter((m) => m.consumer.metrics().assignments.length > 0);
    const standby = members.filter((m) => m.consumer.metrics().assignments.length === 0);
    expect(standby.length).toBe(members.length - active.length);
    expect(standby.length).toBeGreaterThan(0);

    const marks = standby.map((m) => m.log.length);
    const startedAt = Date.now();
    // The window is the active members' work: three rounds of events, each waited on until
    // handled, then until one of them held a long poll open for its whole wait with nothing to read.
    let produced = 0;
    for (let round = 0; round < 3; round++) {
      produced += (await producer.sendBatch(Array.from({ length: 20 }, (_, i) => ({ key: `r${round}-${i}`, payload: { i } })))).length;
      await waitFor(`round ${round} processed`, () => active.reduce((n, m) => n + m.events.length, 0) >= produced, 30_000);
    }
    const quietFrom = Date.now();
    await waitFor("an active member's long poll waited in vain", () => active.some((m) => m.log.some((x) => x.startedAt >= quietFrom && emptyAnswer(x))), 30_000);
    const elapsedMs = Date.now() - startedAt;

    expect(standby.every((m) => m.consumer.metrics().assignments.length === 0)).toBe(true);
    expect(standby.every((m) => m.events.length === 0)).toBe(true);
    for (const [i, m] of standby.entries()) {
      const polls = m.log.slice(marks[i]).filter(isPoll);
      expect(polls.every((x) => x.answeredAt === 0 || x.status === 200)).toBe(true);
      // Idle waits double from 50 ms to 1 s: a handful of polls, then about one a second. Back to
      // back, a member polls as fast as the edge answers, hundreds of times in the same window.
      expect(polls.length, `${polls.length} polls in ${elapsedMs} ms`).toBeLessThanOrEqual(4 + elapsedMs / 250);
    }
  });
});
