import { createHash, randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEFAULT_INGEST_LIMITS, MAX_PAGE_BYTES } from "@shardcast/core";
import { createTestCluster, type TestCluster } from "@shardcast/db/testing";
import { createLogger, createRedis } from "@shardcast/runtime";
import { testRedisUrl } from "@shardcast/runtime/testing/env";
import { createEdge, type Edge } from "../src/app.ts";

/**
 * Read pages bounded by bytes on a real edge (PostgreSQL, Redis) with the default limits, so events
 * near the largest size fill the byte budget long before the count limit: every kind of read
 * answers shorter pages, and going on from each page's continuation returns every event once.
 */

interface Event {
  seq: number;
  key: string;
  id: string | null;
  type: string | null;
  ts: number;
  payload: { i: number; blob: string };
}

const BLOB = 60_000;
const BIG_KEY = "big";
/** Events of one key (one batch: one arrival time) and of many keys. */
const ONE_KEY = 150;
const MANY_KEYS = 150;
const TOTAL = ONE_KEY + MANY_KEYS;

let cluster: TestCluster;
let edge: Edge;
let url = "";
const prefix = `edge-test-${randomUUID()}`;
const written = new Map<string, number>();
/** How the edge's shard cache served the last answer (its header). */
let lastCacheStatus: string | null = null;

async function call(method: "GET" | "POST", path: string, body?: unknown) {
  const res = await fetch(url + path, {
    method,
    headers: { authorization: `Bearer ${cluster.token}`, ...(body !== undefined ? { "content-type": "application/json" } : {}) },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  expect(res.status, text.slice(0, 500)).toBeLessThan(300);
  lastCacheStatus = res.headers.get("x-shardcast-cache");
  return JSON.parse(text) as Record<string, unknown>;
}

/** Bytes of an event as the page budget counts them (payload JSON, key, type, id). */
function bytesOf(events: readonly Event[]): number {
  let n = 0;
  for (const e of events) n += Buffer.byteLength(JSON.stringify(e.payload)) + Buffer.byteLength(e.key) + Buffer.byteLength(e.type ?? "") + Buffer.byteLength(e.id ?? "");
  return n;
}

/** What was read, against what was written: every event exactly once, with its payload whole. */
function expectEveryEventOnce(read: readonly Event[]): void {
  const ids = read.map((e) => e.id!);
  expect(ids.length).toBe(TOTAL);
  expect(new Set(ids).size).toBe(TOTAL);
  const digest = (rows: Array<[string, number, number]>) => createHash("sha256").update(JSON.stringify(rows.sort((a, b) => a[1] - b[1]))).digest("hex");
  expect(digest(read.map((e) => [e.id!, e.seq, e.payload.blob.length]))).toBe(digest([...written].map(([id, seq]) => [id, seq, BLOB])));
}

/** Checks a page against both bounds: shorter than asked, within the budget, never empty while events remain. */
function expectBudgeted(events: readonly Event[]): void {
  expect(events.length).toBeGreaterThan(0);
  expect(bytesOf(events)).toBeLessThanOrEqual(MAX_PAGE_BYTES);
}

beforeAll(async () => {
  cluster = await createTestCluster({ hosts: 3, stream: "paged", shardCount: 2, shardletsPerShard: 2 });
  edge = createEdge({
    databaseUrl: cluster.controlUrl,
    redisUrl: testRedisUrl(),
    redisPrefix: prefix,
    limits: DEFAULT_INGEST_LIMITS,
    routingRefreshMs: 60_000,
    lockResyncMs: 5_000,
    hostPoolSize: 8,
    log: createLogger({ app: "edge-test" }, { level: "error" }),
  });
  url = `http://127.0.0.1:${await edge.listen(0, "127.0.0.1")}`;
  const batches = [
    Array.from({ length: ONE_KEY }, (_, i) => ({ key: BIG_KEY, id: `one-${i}`, type: "t", payload: { i, blob: "x".repeat(BLOB) } })),
    Array.from({ length: MANY_KEYS }, (_, i) => ({ key: `k-${i}`, id: `many-${i}`, type: "t", payload: { i, blob: "y".repeat(BLOB) } })),
  ];
  for (const events of batches) {
    // Within the request body limit (8 MiB), two requests per batch.
    for (let i = 0; i < events.length; i += 75) {
      const part = events.slice(i, i + 75);
      const res = await call("POST", `/v1/streams/${cluster.stream}/events`, { events: part });
      (res.events as Array<{ seq: number }>).forEach((ack, j) => written.set(part[j]!.id, ack.seq));
    }
  }
}, 120_000);

afterAll(async () => {
  await edge?.close();
  const redis = createRedis(testRedisUrl());
  const keys = [...(await redis.keys(`${prefix}:*`)), ...(await redis.keys(`{${prefix}}:*`))];
  if (keys.length) await redis.del(...keys);
  await redis.quit();
  await cluster?.drop();
});

describe("read pages bounded by bytes", () => {
  it("reads by position in pages within the budget, twice (the second from the edge's cache), each event once", async () => {
    const last = Math.max(...written.values());
    for (const pass of ["first", "second"]) {
      const read: Event[] = [];
      const sizes: number[] = [];
      const served = new Set<string | null>();
      let after = 0;
      for (let round = 0; round < 50 && after < last; round++) {
        const page = (await call("GET", `/v1/streams/${cluster.stream}/events?after=${after}&limit=1000`)) as { events: Event[]; next: number };
        expectBudgeted(page.events);
        sizes.push(page.events.length);
        served.add(lastCacheStatus);
        read.push(...page.events);
        // A page cut short goes on right after its last event.
        if (page.next < last) expect(page.next).toBe(page.events[page.events.length - 1]!.seq);
        after = page.next;
      }
      // The second pass is the cache's pages, cut by the same budget.
      if (pass === "second") expect([...served]).toEqual(["hit"]);
      expect(sizes.length, pass).toBeGreaterThan(2);
      expect(sizes[0]).toBeLessThan(TOTAL);
      expectEveryEventOnce(read);
    }
  });

  it("reads a key's events in pages within the budget, going on inside one arrival time, each event once", async () => {
    const read: Event[] = [];
    let query = "limit=1000";
    /** Times of the events on either side of each page boundary. */
    const boundaries: Array<[number, number]> = [];
    let pages = 0;
    for (; pages < 50; pages++) {
      const page = (await call("GET", `/v1/streams/${cluster.stream}/keys/${BIG_KEY}/events?${query}`)) as { events: Event[]; next?: { from: number; after: number } };
      expectBudgeted(page.events);
      if (read.length > 0) boundaries.push([read[read.length - 1]!.ts, page.events[0]!.ts]);
      read.push(...page.events);
      if (!page.next) break;
      expect(page.next).toEqual({ from: page.events[page.events.length - 1]!.ts, after: page.events[page.events.length - 1]!.seq });
      query = `limit=1000&from=${page.next.from}&after=${page.next.after}`;
    }
    expect(pages).toBeGreaterThan(0);
    expect(read.map((e) => e.id)).toEqual(Array.from({ length: ONE_KEY }, (_, i) => `one-${i}`));
    // A boundary fell between two events of one arrival time, which only `after` tells apart.
    expect(boundaries.some(([a, b]) => a === b)).toBe(true);
  });

  it("reads each shardlet in pages within the budget, each event once", async () => {
    const { shardlets } = (await call("GET", `/v1/streams/${cluster.stream}/shardlets`)) as { shardlets: Array<{ id: string }> };
    const last = Math.max(...written.values());
    const read: Event[] = [];
    let cut = false;
    for (const s of shardlets) {
      let after = 0;
      for (let round = 0; round < 50 && after < last; round++) {
        const page = (await call("GET", `/v1/streams/${cluster.stream}/shardlets/${s.id}/events?after=${after}&limit=1000`)) as { events: Event[]; next: number; watermark: number };
        read.push(...page.events);
        if (page.events.length > 0) expect(bytesOf(page.events)).toBeLessThanOrEqual(MAX_PAGE_BYTES);
        if (page.next < page.watermark) cut = true;
        after = page.next;
      }
    }
    expect(cut).toBe(true);
    expectEveryEventOnce(read);
  });

  it("polls a consumer group in pages within the budget, committing each shardlet's next, each event once", async () => {
    const base = `/v1/streams/${cluster.stream}/groups/paged-readers/members`;
    const { memberId } = (await call("POST", base, { name: "a" })) as { memberId: string };
    const read: Event[] = [];
    let commits: Array<Record<string, unknown>> = [];
    let polls = 0;
    for (; polls < 50; polls++) {
      const answer = (await call("POST", `${base}/${memberId}/poll`, { commits, limit: 1000 })) as {
        batches: Array<{ shardletId: string; generation: number; events: Event[]; next: number }>;
      };
      const events = answer.batches.flatMap((b) => b.events);
      if (events.length === 0) break;
      expect(bytesOf(events)).toBeLessThanOrEqual(MAX_PAGE_BYTES);
      read.push(...events);
      commits = answer.batches.map((b) => ({ shardletId: b.shardletId, generation: b.generation, position: b.next, events: b.events.length }));
    }
    expect(polls).toBeGreaterThan(2);
    expectEveryEventOnce(read);
  });
});
