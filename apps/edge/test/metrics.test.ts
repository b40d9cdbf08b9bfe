import net from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { keyHash } from "@shardcast/core";
import { createOpLocks, createRedis } from "@shardcast/runtime";
import { waitFor } from "@shardcast/db/testing";
import { testRedisUrl } from "@shardcast/runtime/testing/env";
import { get, post, startHarness, type Harness } from "./harness.ts";

let h: Harness;
const redis = createRedis(testRedisUrl());
const GRACE_MS = 1_500;
beforeAll(async () => {
  h = await startHarness({ stream: "metered", shardCount: 2, edge: { shutdownGraceMs: GRACE_MS } });
});
afterAll(async () => {
  await h?.close();
  await redis.quit();
});

/** The value of one sample in an exposition text (0 when the series does not exist yet). */
function sample(text: string, name: string, labels: Record<string, string> = {}): number {
  for (const line of text.split("\n")) {
    const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const have = new Map([...(m[2] ?? "").matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((l) => [l[1]!, l[2]!]));
    if (Object.entries(labels).every(([k, v]) => have.get(k) === v)) return Number(m[3]);
  }
  return 0;
}

async function scrape(): Promise<string> {
  const res = await fetch(`${h.url}/metrics`);
  expect(res.status).toBe(200);
  expect(res.headers.get("content-type")).toMatch(/^text\/plain; version=0\.0\.4/);
  return res.text();
}

describe("/metrics, /livez and /readyz on the edge", () => {
  it("counts ingested, duplicate and rejected events and reads by kind", async () => {
    const before = await scrape();
    const s = { stream: h.stream };
    const events = Array.from({ length: 5 }, (_, i) => ({ key: `m-${i}`, id: `m-${i}`, payload: { i } }));
    expect((await post(h, `/v1/streams/${h.stream}/events`, { events })).status).toBe(200);
    // The same ids again: stored once, answered as duplicates.
    expect((await post(h, `/v1/streams/${h.stream}/events`, { events })).status).toBe(200);
    // A bad batch (a key that is not a string or an integer) is rejected whole.
    const bad = await post(h, `/v1/streams/${h.stream}/events`, { events: [{ key: "ok" }, { key: { no: 1 } }] });
    expect(bad.status).toBe(400);
    const byPosition = await get(h, `/v1/streams/${h.stream}/events?after=0&limit=100`);
    expect((byPosition.body.events as unknown[]).length).toBe(5);
    for (const key of ["m-1", "m-2", "m-3"]) expect((await get(h, `/v1/streams/${h.stream}/keys/${key}/events`)).status).toBe(200);

    const after = await scrape();
    const delta = (name: string, labels: Record<string, string> = {}) => sample(after, name, labels) - sample(before, name, labels);
    expect(delta("shardcast_edge_ingest_batches_total", { ...s, outcome: "accepted" })).toBe(2);
    expect(delta("shardcast_edge_ingest_batches_total", { ...s, outcome: "rejected" })).toBe(1);
    expect(delta("shardcast_edge_ingest_events_total", { ...s, outcome: "accepted" })).toBe(5);
    expect(delta("shardcast_edge_ingest_events_total", { ...s, outcome: "duplicate" })).toBe(5);
    expect(delta("shardcast_edge_ingest_events_total", { ...s, outcome: "rejected" })).toBe(2);
    expect(delta("shardcast_edge_ingest_ack_seconds_count", s)).toBe(2);
    // Only batches that passed validation take sequence numbers.
    expect(delta("shardcast_edge_sequence_wait_seconds_count")).toBe(2);
    expect(delta("shardcast_edge_reads_total", { ...s, kind: "position", outcome: "ok" })).toBe(1);
    expect(delta("shardcast_edge_reads_total", { ...s, kind: "key", outcome: "ok" })).toBe(3);
    expect(delta("shardcast_edge_read_events_total", { ...s, kind: "position" })).toBe(5);
    expect(delta("shardcast_edge_read_events_total", { ...s, kind: "key" })).toBe(3);
    expect(delta("shardcast_edge_read_seconds_count", { kind: "key" })).toBe(3);
    expect(delta("shardcast_edge_http_requests_total", { route: "events", status: "200" })).toBe(3);
    expect(delta("shardcast_edge_http_requests_total", { route: "events", status: "400" })).toBe(1);
    expect(delta("shardcast_edge_http_requests_total", { route: "key_events", status: "200" })).toBe(3);
    // The default process metrics come with it.
    expect(after).toContain("process_cpu_user_seconds_total");
    expect(after).toContain("nodejs_eventloop_lag_seconds");
  });

  it("counts fence rejections, overflow fallbacks and the route reloads they cause", async () => {
    const before = await scrape();
    // A locked shardlet's events go to the overflow log.
    const lockedKey = "locked-key";
    let entry = (await h.edge.routing.get(h.stream))!;
    const locked = entry.table.lookup(keyHash(lockedKey));
    const locks = createOpLocks([redis], { prefix: h.prefix, ttlMs: 5_000 });
    await locks.withOpLock(locked.id, async () => {
      await waitFor("the edge to see the lock", () => h.edge.locks.has(locked.id));
      const res = await post(h, `/v1/streams/${h.stream}/events`, { events: [{ key: lockedKey }, { key: lockedKey }] });
      expect(res.status).toBe(200);
    });
    await locks.close();
    await waitFor("the edge to see the unlock", () => !h.edge.locks.has(locked.id));
    // A fence raised behind the edge's back (what a split does first): refused, reloaded, overflowed.
    const changingKey = "changing-key";
    entry = (await h.edge.routing.get(h.stream))!;
    const route = entry.table.lookup(keyHash(changingKey));
    await (await h.hosts.get(route.hostId)).setFence(route.id, h.streamId, route.epoch + 1, "splitting");
    await h.db.shardlet.update({ where: { id: route.id }, data: { epoch: route.epoch + 1, state: "splitting" } });
    expect((await post(h, `/v1/streams/${h.stream}/events`, { events: [{ key: changingKey }] })).status).toBe(200);

    const after = await scrape();
    const delta = (name: string, labels: Record<string, string> = {}) => sample(after, name, labels) - sample(before, name, labels);
    expect(delta("shardcast_edge_overflow_events_total", { prediction: "none" })).toBe(3);
    expect(delta("shardcast_edge_fence_rejections_total")).toBe(1);
    expect(delta("shardcast_edge_route_reloads_total", { reason: "fence" })).toBe(1);
  });

  it("looks ids of a range whose overflow log may hold them up beside the batch's sequence numbers, and answers a re-send from there", async () => {
    const key = "flagged-key";
    let entry = (await h.edge.routing.get(h.stream))!;
    const route = entry.table.lookup(keyHash(key));
    const first = await post(h, `/v1/streams/${h.stream}/events`, { events: [{ key, id: "early-1" }] });
    expect(first.status).toBe(200);
    // Flagged overflow-pending, as a lock window that sent writes to the log leaves a range.
    await h.db.shardlet.update({ where: { id: route.id }, data: { overflowPending: true } });
    entry = (await h.edge.routing.refreshById(h.streamId, "pubsub"))!;
    expect(entry.table.byId(route.id)?.overflowPending).toBe(true);
    const before = await scrape();
    const fresh = await post(h, `/v1/streams/${h.stream}/events`, { events: [{ key, id: "early-2" }, { key, id: "early-3" }, { key }] });
    expect(fresh.status).toBe(200);
    expect(fresh.body.duplicates).toBe(0);
    // A re-send of an id its host stored before the flag: the host's own index answers it.
    const again = await post(h, `/v1/streams/${h.stream}/events`, { events: [{ key, id: "early-1" }] });
    const [stored] = first.body.events as Array<Record<string, unknown>>;
    expect(again.body.events).toEqual([{ ...stored, duplicate: true }]);
    const after = await scrape();
    const delta = (when: string) => sample(after, "shardcast_edge_id_lookups_total", { when }) - sample(before, "shardcast_edge_id_lookups_total", { when });
    // Only events with ids are looked up, and all of them early: the routes did not change meanwhile.
    expect(delta("early")).toBe(3);
    expect(delta("late")).toBe(0);
    await h.db.shardlet.update({ where: { id: route.id }, data: { overflowPending: false } });
    await h.edge.routing.refreshById(h.streamId, "pubsub");
  });

  it("counts shard cache hits and misses of shardlet reads", async () => {
    const events = Array.from({ length: 20 }, (_, i) => ({ key: `c-${i}`, id: `c-${i}`, payload: { i } }));
    const ack = await post(h, `/v1/streams/${h.stream}/events`, { events });
    expect(ack.status).toBe(200);
    // From the first new event on: the reads by position above cached what came before it.
    const from = Math.min(...(ack.body.events as Array<{ seq: number }>).map((e) => e.seq)) - 1;
    const shardlets = (await get(h, `/v1/streams/${h.stream}/shardlets`)).body.shardlets as Array<{ id: string }>;
    const id = shardlets[0]!.id;
    const before = await scrape();
    // The first read fills the cache from the hosts; the same read again is answered from memory.
    const first = await get(h, `/v1/streams/${h.stream}/shardlets/${id}/events?after=${from}&limit=1000`);
    expect(first.headers.get("x-shardcast-cache")).toBe("miss");
    const second = await get(h, `/v1/streams/${h.stream}/shardlets/${id}/events?after=${from}&limit=1000`);
    expect(second.headers.get("x-shardcast-cache")).toBe("hit");
    expect(second.body.events).toEqual(first.body.events);
    const after = await scrape();
    const delta = (name: string) => sample(after, name) - sample(before, name);
    expect(delta("shardcast_edge_cache_misses")).toBe(1);
    expect(delta("shardcast_edge_cache_hits")).toBe(1);
    expect(delta("shardcast_edge_cache_host_reads_saved")).toBe(1);
    expect(sample(after, "shardcast_edge_cache_entries")).toBeGreaterThan(0);
    expect(sample(after, "shardcast_edge_cache_budget_bytes")).toBeGreaterThan(0);
  });

  it("answers /livez and /readyz, and leaves /metrics open without a token setting", async () => {
    expect((await fetch(`${h.url}/livez`)).status).toBe(200);
    const ready = await fetch(`${h.url}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ ok: true });
    expect((await fetch(`${h.url}/healthz`)).status).toBe(200);
  });
});

/** A raw connection, to hold a request half sent and to see exactly what the server answers on it. */
function connect(port: number): Promise<{ socket: net.Socket; received: Promise<string> }> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, "127.0.0.1");
    let text = "";
    socket.setEncoding("utf8");
    socket.on("data", (chunk: string) => (text += chunk));
    const received = new Promise<string>((done) => socket.on("close", () => done(text)));
    socket.once("error", reject);
    socket.once("connect", () => resolve({ socket, received }));
  });
}

/** Resolves once the server has read bytes from its next accepted connection. */
function serverReadsNextConnection(): Promise<void> {
  return new Promise((resolve) => {
    h.edge.server.once("connection", (s: net.Socket) => s.once("data", () => setImmediate(resolve)));
  });
}

describe("graceful shutdown", () => {
  it("fails readiness at once, finishes the request in flight, refuses new connections, then cuts what outlives the grace period", async () => {
    const port = Number(new URL(h.url).port);
    const body = JSON.stringify({ events: [{ key: "last-words", id: "last-words-1" }] });
    const head = (len: number) =>
      `POST /v1/streams/${h.stream}/events HTTP/1.1\r\nHost: edge\r\nAuthorization: Bearer ${h.token}\r\n` +
      `content-type: application/json\r\ncontent-length: ${len}\r\n\r\n`;

    // A: a batch whose body is half sent, so its request is in flight when the shutdown begins.
    const requested = new Promise<void>((resolve) => h.edge.server.once("request", () => resolve()));
    const a = await connect(port);
    a.socket.write(head(Buffer.byteLength(body)) + body.slice(0, 10));
    await requested;
    // B: a probe whose headers are half sent (an open connection, as a load balancer keeps one).
    let read = serverReadsNextConnection();
    const b = await connect(port);
    b.socket.write("GET /readyz HTTP/1.1\r\nHost: edge\r\n");
    await read;
    // C: a batch that never finishes sending, to be cut at the deadline.
    read = serverReadsNextConnection();
    const c = await connect(port);
    c.socket.write(head(1_000) + "{");
    await read;

    const started = Date.now();
    const closed = h.edge.close();
    expect(h.edge.draining).toBe(true);
    b.socket.write("\r\n");
    const probe = await b.received;
    expect(probe).toMatch(/^HTTP\/1\.1 503 /);
    expect(probe).toContain('"reason":"draining"');
    await expect(fetch(`${h.url}/livez`)).rejects.toThrow();

    a.socket.write(body.slice(10));
    const answer = await a.received;
    expect(answer).toMatch(/^HTTP\/1\.1 200 /);
    expect(answer).toContain('"accepted":1');

    await closed;
    expect(Date.now() - started).toBeGreaterThanOrEqual(GRACE_MS - 50);
    expect(await c.received).toBe("");
    expect(h.edge.server.listening).toBe(false);
  });
});
