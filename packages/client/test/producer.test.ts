import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApiKey } from "@shardcast/db";
import { waitFor } from "@shardcast/db/testing";
import { ShardcastClientError, ShardcastProducer, type FetchLike, type ProducerEvent, type SendResult, type StoredEvent } from "../src/index.ts";
import { get, recordingFetch, startHarness, totalRows, type Harness } from "./harness.ts";

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ stream: "orders" });
});
afterAll(() => h?.close());

function producer(opts: Partial<ConstructorParameters<typeof ShardcastProducer>[0]> = {}): ShardcastProducer {
  return new ShardcastProducer({ url: h.url, apiKey: h.token, stream: h.stream, retryBaseMs: 50, ...opts });
}

const events = (tag: string, n: number, extra: Partial<ProducerEvent> = {}): ProducerEvent[] =>
  Array.from({ length: n }, (_, i) => ({ key: `${tag}-${i}`, type: "test", payload: { i }, ...extra }));

/** The stream's events after `after`, once the watermark has passed `count` of them. */
async function readBack(after: number, count: number): Promise<StoredEvent[]> {
  let found: StoredEvent[] = [];
  await waitFor(`${count} events readable`, async () => {
    const page = await get(h, `/v1/streams/${h.stream}/events?after=${after}&limit=1000`);
    found = page.body.events as StoredEvent[];
    return found.length >= count;
  });
  return found;
}

const posts = <T extends { method: string }>(log: T[]): T[] => log.filter((x) => x.method === "POST");

describe("batching", () => {
  it("sends many sends made together as one request, in order, with consecutive positions", async () => {
    const { fetch, log } = recordingFetch();
    const p = producer({ fetch, lingerMs: 20 });
    const results = await Promise.all(events("b1", 200).map((e) => p.send(e)));
    await p.close();
    expect(posts(log).map((x) => x.events)).toEqual([200]);
    const seqs = results.map((r) => r.seq);
    expect(seqs.every((s, i) => i === 0 || s === seqs[i - 1]! + 1)).toBe(true);
    expect(results.every((r) => !r.duplicate && r.shardletId.length > 0)).toBe(true);
    // Every event went out with an id the producer generated, and is stored under it.
    const stored = await readBack(seqs[0]! - 1, 200);
    const mine = stored.filter((e) => e.seq >= seqs[0]! && e.seq <= seqs[199]!);
    expect(mine.map((e) => e.key)).toEqual(events("b1", 200).map((e) => e.key));
    expect(new Set(mine.map((e) => e.id)).size).toBe(200);
    expect(mine.every((e) => e.id?.startsWith("sc-"))).toBe(true);
  });

  it("cuts batches at maxBatchEvents and maxBatchBytes", async () => {
    const byCount = recordingFetch();
    const p1 = producer({ fetch: byCount.fetch, maxBatchEvents: 50 });
    await p1.sendBatch(events("b2", 120));
    expect(posts(byCount.log).map((x) => x.events)).toEqual([50, 50, 20]);

    const byBytes = recordingFetch();
    const p2 = producer({ fetch: byBytes.fetch, maxBatchBytes: 4096, idPrefix: "bytes" });
    const results = await p2.sendBatch(events("b3", 100, { payload: { text: "x".repeat(200) } }));
    const sent = posts(byBytes.log);
    expect(sent.length).toBeGreaterThan(5);
    expect(sent.every((x) => x.bytes <= 4096 && x.status === 200)).toBe(true);
    expect(sent.reduce((n, x) => n + x.events, 0)).toBe(100);
    expect(new Set(results.map((r) => r.seq)).size).toBe(100);
  });

  it("flush sends at once despite a long linger, and close refuses new events", async () => {
    const p = producer({ lingerMs: 60_000 });
    const pending = p.sendBatch(events("b4", 3));
    const started = Date.now();
    await p.flush();
    expect(Date.now() - started).toBeLessThan(5_000);
    expect((await pending).length).toBe(3);
    await p.close();
    await expect(p.send({ key: "late" })).rejects.toMatchObject({ code: "closed", status: 0 });
  });

  it("makes send wait while maxQueuedEvents are unsettled", async () => {
    let worst = 0;
    let p: ShardcastProducer | null = null;
    const { fetch } = recordingFetch(() => {
      worst = Math.max(worst, p?.stats().queued ?? 0);
    });
    p = producer({ fetch, maxBatchEvents: 10, maxQueuedEvents: 20 });
    const all = events("b5", 100).map((e) => p.send(e));
    expect(p.stats()).toMatchObject({ queued: 20, waiting: 80 });
    const results = await Promise.all(all);
    expect(worst).toBeLessThanOrEqual(20);
    // Waiting sends kept their order: positions rise with the order of the calls.
    expect(results.every((r, i) => i === 0 || r.seq > results[i - 1]!.seq)).toBe(true);
  });
});

describe("idempotent retries", () => {
  it("stores a batch once when its answer is lost and the producer sends it again", async () => {
    let firstAnswer: { events: SendResult[] } | null = null;
    const lossy: FetchLike = async (url, init) => {
      const res = await fetch(url, init);
      if (firstAnswer === null && init.method === "POST") {
        // The edge stored the batch; the connection "drops" before the producer reads the answer.
        firstAnswer = (await res.json()) as { events: SendResult[] };
        throw new TypeError("fetch failed: answer lost (test)");
      }
      return res;
    };
    const before = await totalRows(h);
    const p = producer({ fetch: lossy });
    const results = await p.sendBatch(events("r1", 40));
    expect(await totalRows(h)).toBe(before + 40);
    // Resolved with the positions the first (lost) attempt got, and not reported as duplicates:
    // the only earlier copy was the producer's own attempt.
    expect(results.map((r) => r.seq)).toEqual(firstAnswer!.events.map((e) => e.seq));
    expect(results.every((r) => !r.duplicate)).toBe(true);
  });

  it("stores an event without an id once when the caller sends it again with the id its error names", async () => {
    // The edge stores every attempt's event, and every answer is lost on the way back.
    const lost: number[] = [];
    const lossy: FetchLike = async (url, init) => {
      const res = await fetch(url, init);
      lost.push(((await res.json()) as { events: SendResult[] }).events[0]!.seq);
      throw new TypeError("fetch failed: answer lost (test)");
    };
    const event: ProducerEvent = { key: "r3", type: "test", payload: { n: 1 } };
    const before = await totalRows(h);
    const err = await producer({ fetch: lossy, maxRetries: 1, retryBaseMs: 10 })
      .send(event)
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ code: "network_error", retryable: true });
    const eventId = (err as ShardcastClientError).eventId;
    expect(eventId).toMatch(/^sc-/);
    expect(await totalRows(h)).toBe(before + 1);

    // The caller's retry, as the docs say: the same event with the id of the error.
    const result = await producer().send({ ...event, id: eventId! });
    expect(await totalRows(h)).toBe(before + 1);
    expect(result).toMatchObject({ id: eventId, seq: lost[0], duplicate: true });
    // A success names the id too, generated or the caller's.
    const fresh = await producer().sendBatch([{ key: "r3-b" }, { key: "r3-c", id: "order-r3-c" }]);
    expect(fresh[0]!.id).toMatch(/^sc-/);
    expect(fresh[1]!.id).toBe("order-r3-c");
  });

  it("answers a caller's repeated ids as duplicates with the original positions", async () => {
    const p = producer();
    const batch = events("r2", 10).map((e, i) => ({ ...e, id: `order-r2-${i}` }));
    const before = await totalRows(h);
    const first = await p.sendBatch(batch);
    const again = await p.sendBatch(batch);
    expect(await totalRows(h)).toBe(before + 10);
    expect(again.map((r) => r.seq)).toEqual(first.map((r) => r.seq));
    expect(again.every((r) => r.duplicate)).toBe(true);
  });

  it("after a 503 with storedIndexes, resolves every event with its real position and stores each once", async () => {
    const hostId = h.hostIds[0]!;
    const host = new pg.Client({ connectionString: h.hostDsns.get(hostId) });
    await host.connect();
    // One storage host refuses every insert until the first 503 is seen: a real partial store.
    await host.query(`CREATE FUNCTION sdk_test_fail() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'injected host failure'; END $$`);
    await host.query(`CREATE TRIGGER sdk_test_fail BEFORE INSERT ON sc_events FOR EACH STATEMENT EXECUTE FUNCTION sdk_test_fail()`);
    const { fetch, log } = recordingFetch(async (x) => {
      if (x.status === 503) await host.query("DROP TRIGGER IF EXISTS sdk_test_fail ON sc_events");
    });
    try {
      const before = await totalRows(h);
      const p = producer({ fetch, maxBatchEvents: 60 });
      // 15 keys with 4 events each, so order per key can be checked across the partial store.
      const sent = events("p1", 60).map((e, i) => ({ ...e, key: `p1-${i % 15}` }));
      const results = await p.sendBatch(sent);

      const statuses = posts(log).map((x) => x.status);
      expect(statuses).toEqual([503, 200]);
      const stored = (log[0]!.body as { error: { details: { storedIndexes: number[] } } }).error.details.storedIndexes;
      expect(stored.length).toBeGreaterThan(0);
      expect(stored.length).toBeLessThan(60);
      expect(await totalRows(h)).toBe(before + 60);
      expect(results.every((r) => !r.duplicate)).toBe(true);

      // Each promise holds the position the event is stored at, the partly stored ones included.
      const seqs = results.map((r) => r.seq);
      const readable = await readBack(Math.min(...seqs) - 1, 60);
      const byId = new Map(readable.map((e) => [e.id, e.seq]));
      results.forEach((r) => expect(byId.get(r.id)).toBe(r.seq));
      // Positions follow the calls per key; across keys the events stored first keep earlier ones.
      for (let k = 0; k < 15; k++) {
        const mine = seqs.filter((_, i) => i % 15 === k);
        expect(mine, `key p1-${k}`).toEqual([...mine].sort((x, y) => x - y));
      }
    } finally {
      await host.query("DROP TRIGGER IF EXISTS sdk_test_fail ON sc_events");
      await host.query("DROP FUNCTION IF EXISTS sdk_test_fail()");
      await host.end();
    }
  });
});

describe("errors", () => {
  it("fails only the refused event of a batch with the edge's code and message, and stores the rest", async () => {
    const { fetch, log } = recordingFetch();
    const p = producer({ fetch });
    const good = events("e1", 5).map((e) => p.send(e));
    const bad = p.send({ key: "e1-bad", payload: "not an object" } as unknown as ProducerEvent);
    const err = await bad.then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ShardcastClientError);
    expect(err).toMatchObject({ status: 400, code: "validation_failed", details: { path: "payload" } });
    expect((err as Error).message).toMatch(/^event refused: payload: /);
    expect((await Promise.all(good)).length).toBe(5);
    expect(posts(log).map((x) => [x.status, x.events])).toEqual([
      [400, 6],
      [200, 5],
    ]);
  });

  it("does not retry other 4xx answers: unknown stream, bad key, key without produce", async () => {
    const consumeOnly = await createApiKey(h.db, { name: "reader", streams: [h.stream], canProduce: false, canConsume: true, createdById: null });
    const everyStream = await createApiKey(h.db, { name: "all", streams: ["*"], canProduce: true, canConsume: false, createdById: null });
    const cases: Array<[Partial<ConstructorParameters<typeof ShardcastProducer>[0]>, number, string, RegExp]> = [
      [{ stream: "nope", apiKey: everyStream.token }, 404, "not_found", /unknown stream "nope"/],
      [{ apiKey: "sc_bogus" }, 401, "unauthenticated", /./],
      [{ apiKey: consumeOnly.token }, 403, "forbidden", /./],
    ];
    for (const [opts, status, code, message] of cases) {
      const { fetch, log } = recordingFetch();
      const p = producer({ fetch, ...opts });
      const err = await p.send({ key: "k" }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ShardcastClientError);
      expect(err).toMatchObject({ status, code, retryable: false });
      expect((err as Error).message).toMatch(message);
      expect(log.length).toBe(1);
    }
  });

  it("rejects with network_error after maxRetries when no edge answers", async () => {
    const { fetch, log } = recordingFetch();
    const p = new ShardcastProducer({ url: "http://127.0.0.1:1", apiKey: "k", stream: "s", fetch, maxRetries: 2, retryBaseMs: 10 });
    await expect(p.send({ key: "k" })).rejects.toMatchObject({ code: "network_error", status: 0, retryable: true });
    expect(log.length).toBe(3);
  });
});
