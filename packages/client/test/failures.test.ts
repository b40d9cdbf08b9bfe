import { inspect } from "node:util";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { waitFor } from "@shardcast/db/testing";
import { ShardcastClientError, ShardcastConsumer, ShardcastProducer, type Commit, type ConsumerOptions, type ProducerEvent, type StoredEvent } from "../src/index.ts";
import { recordingFetch, startHarness, totalRows, type Harness } from "./harness.ts";
import { startProxy, type Behaviour, type Proxy, type ProxiedRequest } from "./proxy.ts";

let h: Harness;
let producer: ShardcastProducer;
beforeAll(async () => {
  h = await startHarness({ stream: "orders" });
  producer = new ShardcastProducer({ url: h.url, apiKey: h.token, stream: h.stream });
});
afterAll(async () => {
  await producer?.close();
  await h?.close();
});

const consumers: ShardcastConsumer[] = [];
const proxies: Proxy[] = [];
afterEach(async () => {
  for (const c of consumers.splice(0)) await c.stop();
  for (const p of proxies.splice(0)) await p.close();
});

/** A proxy to the harness's edge that misbehaves on the first request `matches` picks, and forwards the rest. */
async function proxyOnce(matches: (req: ProxiedRequest) => boolean, how: Behaviour): Promise<Proxy> {
  let done = false;
  const proxy = await startProxy(h.url, (req) => {
    if (done || !matches(req)) return "forward";
    done = true;
    return how;
  });
  proxies.push(proxy);
  return proxy;
}

const internalError = { status: 500, body: { error: { code: "internal", message: "internal error" } } };
const events = (tag: string, n: number): ProducerEvent[] => Array.from({ length: n }, (_, i) => ({ key: `${tag}-${i}`, payload: { i } }));

interface Member {
  consumer: ShardcastConsumer;
  events: StoredEvent[];
  errors: Array<{ code: string; phase: string }>;
}

function member(url: string, group: string, opts: Partial<ConsumerOptions> = {}): Member {
  const m: Member = { consumer: null as unknown as ShardcastConsumer, events: [], errors: [] };
  m.consumer = new ShardcastConsumer({
    url,
    apiKey: h.token,
    stream: h.stream,
    group,
    start: "latest",
    maxIdleWaitMs: 200,
    retryBaseMs: 50,
    handler: (batch) => {
      m.events.push(...batch.events);
      return Promise.resolve();
    },
    onError: (err, ctx) => void m.errors.push({ code: err instanceof ShardcastClientError ? err.code : err.message, phase: ctx.phase }),
    ...opts,
  });
  consumers.push(m.consumer);
  return m;
}

async function produce(tag: string, n: number): Promise<number[]> {
  return (await producer.sendBatch(events(tag, n))).map((r) => r.seq);
}

describe("producer", () => {
  it("retries a 500 with the same ids: an event the failed attempt stored is stored once", async () => {
    // The edge stores the batch, then its answer is replaced by the 500 an unforeseen failure gives.
    const proxy = await proxyOnce((r) => r.method === "POST", { ...internalError, forward: true });
    const before = await totalRows(h);
    const p = new ShardcastProducer({ url: proxy.url, apiKey: h.token, stream: h.stream, retryBaseMs: 20 });
    const results = await p.sendBatch(events("f1", 20));
    await p.close();
    expect(proxy.log.map((x) => x.status)).toEqual([500, 200]);
    expect(proxy.log[1]!.body).toBe(proxy.log[0]!.body);
    expect(await totalRows(h)).toBe(before + 20);
    expect(new Set(results.map((r) => r.seq)).size).toBe(20);
  });

  it("reports an answer whose body stalls as a timeout", async () => {
    const proxy = await proxyOnce((r) => r.method === "POST", "stallBody");
    const p = new ShardcastProducer({ url: proxy.url, apiKey: h.token, stream: h.stream, maxRetries: 0, requestTimeoutMs: 500 });
    await expect(p.send({ key: "f2" })).rejects.toMatchObject({ code: "timeout", status: 0, retryable: true });
  });
});

describe("API keys", () => {
  it("never shows a key an HTTP header cannot carry in what the caller sees, and sends nothing with it", async () => {
    const secret = "sc_live_F00dCafe\nsc_live_other";
    const { fetch, log } = recordingFetch();
    const seen: unknown[] = [];
    try {
      await new ShardcastProducer({ url: h.url, apiKey: secret, stream: h.stream, fetch, maxRetries: 1, retryBaseMs: 1 }).send({ key: "k" });
    } catch (err) {
      seen.push(err);
    }
    let consumer: ShardcastConsumer | undefined;
    try {
      consumer = new ShardcastConsumer({ url: h.url, apiKey: secret, stream: h.stream, group: "keys", fetch, handler: () => Promise.resolve(), onError: (err) => void seen.push(err) });
      consumer.start().catch((err: unknown) => seen.push(err));
      await waitFor("the consumer's first error", () => seen.length > 1);
    } catch (err) {
      seen.push(err);
    }
    await consumer?.stop();
    expect(seen.length).toBeGreaterThanOrEqual(2);
    for (const err of seen) expect(inspect(err, { depth: 10 })).not.toContain("F00dCafe");
    expect(log).toEqual([]);
  });
});

describe("consumer", () => {
  it("goes on after a poll answered 500", async () => {
    const proxy = await proxyOnce((r) => r.path.endsWith("/poll"), internalError);
    const a = member(proxy.url, "f-500");
    await a.consumer.start();
    const memberId = a.consumer.metrics().memberId;
    const seqs = await produce("f3", 10);
    await waitFor("10 events, or the member left", () => a.events.length >= 10 || a.consumer.metrics().memberId === null, 30_000);
    expect(a.events.map((e) => e.seq).sort((x, y) => x - y)).toEqual(seqs.sort((x, y) => x - y));
    expect(a.errors).toEqual([{ code: "internal", phase: "poll" }]);
    expect(a.consumer.metrics().memberId).toBe(memberId);
  });

  it("after a join whose answer was lost, is the group's only member and holds every shardlet", async () => {
    // The edge adds the member, then its answer is replaced by a gateway's 502.
    const badGateway = { status: 502, body: { error: { code: "unavailable", message: "bad gateway" } }, forward: true };
    const proxy = await proxyOnce((r) => r.method === "POST" && r.path.endsWith("/members"), badGateway);
    const a = member(proxy.url, "f-join");
    await a.consumer.start();
    expect(proxy.log.filter((x) => x.path.endsWith("/members")).map((x) => x.status)).toEqual([502, 201]);
    const view = await a.consumer.describe();
    expect(view.members.map((m) => m.id)).toEqual([a.consumer.metrics().memberId]);
    expect(a.consumer.metrics().assignments.length).toBe(view.shardlets.length);
    const seqs = await produce("f6", 40);
    await waitFor("40 events", () => a.events.length >= 40, 30_000);
    expect(a.events.map((e) => e.seq).sort((x, y) => x - y)).toEqual(seqs.sort((x, y) => x - y));
  });

  it("joins without a join token when the edge refuses the field (an edge from before it)", async () => {
    const olderEdge = { status: 400, body: { error: { code: "bad_request", message: 'invalid body: Unrecognized key: "joinToken"', details: { issues: [] } } } };
    const proxy = await proxyOnce((r) => r.method === "POST" && r.path.endsWith("/members"), olderEdge);
    const a = member(proxy.url, "f-old-edge");
    await a.consumer.start();
    const joins = proxy.log.filter((x) => x.path.endsWith("/members"));
    expect(joins.map((x) => [x.status, "joinToken" in (JSON.parse(x.body) as object)])).toEqual([
      [400, true],
      [201, false],
    ]);
    expect(a.consumer.metrics().memberId).not.toBeNull();
  });

  it("goes on when an async onError rejects, without an unhandled rejection", async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => void unhandled.push(reason);
    process.on("unhandledRejection", onUnhandled);
    try {
      const proxy = await proxyOnce((r) => r.path.endsWith("/poll"), internalError);
      const reported: string[] = [];
      const a = member(proxy.url, "f-onerror", {
        onError: async (err, ctx) => {
          reported.push(`${ctx.phase}: ${err instanceof ShardcastClientError ? err.code : err.message}`);
          await Promise.resolve();
          throw new Error("the error reporter is down");
        },
      });
      await a.consumer.start();
      const memberId = a.consumer.metrics().memberId;
      const seqs = await produce("f7", 10);
      await waitFor("10 events, or the member left", () => a.events.length >= 10 || a.consumer.metrics().memberId === null, 30_000);
      expect(a.events.map((e) => e.seq).sort((x, y) => x - y)).toEqual(seqs.sort((x, y) => x - y));
      expect(reported).toEqual(["poll: internal"]);
      expect(a.consumer.metrics().memberId).toBe(memberId);
      expect(unhandled).toEqual([]);
    } finally {
      process.off("unhandledRejection", onUnhandled);
    }
  });

  it("keeps its session through a long batch when one heartbeat stalls", async () => {
    const proxy = await proxyOnce((r) => r.path.endsWith("/heartbeat"), "stall");
    let slow = true;
    const a = member(proxy.url, "f-hb", {
      sessionTimeoutMs: 3000,
      handler: async (batch) => {
        // A batch that takes longer than the session: only heartbeats keep the member in.
        if (slow) {
          slow = false;
          await new Promise((r) => setTimeout(r, 4500));
        }
        a.events.push(...batch.events);
      },
    });
    await a.consumer.start();
    const memberId = a.consumer.metrics().memberId;
    await produce("f4", 10);
    await waitFor("10 events", () => a.events.length >= 10, 30_000);
    expect(a.consumer.metrics().memberId).toBe(memberId);
    expect(a.errors).toEqual([{ code: "timeout", phase: "heartbeat" }]);
    expect(proxy.log.filter((x) => x.path.endsWith("/heartbeat")).length).toBeGreaterThan(1);
  });

  it("after a 409 naming one stale shardlet, polls again with the other commits of the refused poll", async () => {
    type Sent = { commits?: Commit[] };
    const commitsOf = (body: string) => (JSON.parse(body) as Sent).commits ?? [];
    let stale: Commit | undefined;
    const proxy = await startProxy(h.url, (req) => {
      const commits = req.path.endsWith("/poll") ? commitsOf(req.body) : [];
      if (stale || commits.length < 2) return "forward";
      stale = commits[0]!;
      const details = { stale: [{ shardletId: stale.shardletId, generation: stale.generation, current: stale.generation + 1 }] };
      return { status: 409, body: { error: { code: "conflict", message: "stale generation", details } } };
    });
    proxies.push(proxy);
    const a = member(proxy.url, "f-409");
    await a.consumer.start();
    await produce("f6", 200);
    await waitFor("a poll refused with 409 and the next one answered", () => {
      const i = proxy.log.findIndex((x) => x.status === 409);
      return i >= 0 && proxy.log.slice(i + 1).some((x) => x.path.endsWith("/poll") && x.status === 200);
    }, 30_000);
    const refusedAt = proxy.log.findIndex((x) => x.status === 409);
    const refused = commitsOf(proxy.log[refusedAt]!.body);
    const next = commitsOf(proxy.log.slice(refusedAt + 1).find((x) => x.path.endsWith("/poll"))!.body);
    expect(next.map((c) => c.shardletId)).not.toContain(stale!.shardletId);
    for (const c of refused.slice(1)) expect(next).toContainEqual(expect.objectContaining({ shardletId: c.shardletId, generation: c.generation }));
    expect(next.filter((c) => refused.some((r) => r.shardletId === c.shardletId)).every((c) => c.position >= refused.find((r) => r.shardletId === c.shardletId)!.position)).toBe(true);
    expect(a.errors).toEqual([{ code: "conflict", phase: "poll" }]);
  });

  it("does not time out a long poll the edge holds open for maxWaitMs", async () => {
    const { fetch, log } = recordingFetch();
    // Twice the request timeout; the timeout itself leaves the join and the commits (ordinary
    // requests) room on a loaded machine.
    const a = member(h.url, "f-long", { fetch, maxWaitMs: 6000, requestTimeoutMs: 3000 });
    await a.consumer.start();
    const answered = () => log.filter((x) => x.url.endsWith("/poll") && x.status === 200).length;
    await waitFor("two idle polls answered, or an error", () => answered() >= 2 || a.errors.length > 0, 30_000);
    expect(a.errors).toEqual([]);
    const seqs = await produce("f5", 5);
    await waitFor("5 events", () => a.events.length >= 5, 30_000);
    expect(a.events.map((e) => e.seq).sort((x, y) => x - y)).toEqual(seqs.sort((x, y) => x - y));
  });
});
