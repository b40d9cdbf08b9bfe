import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApiKey, setApiKeyQuota } from "@shardcast/db";
import { get, startHarness, totalRows, type Harness } from "./harness.ts";

let h: Harness;
let limited: string;
let reader: string;
beforeAll(async () => {
  h = await startHarness({ stream: "quota" });
  const a = await createApiKey(h.db, { name: "limited", streams: ["quota"], canProduce: true, canConsume: true, createdById: null });
  await setApiKeyQuota(h.db, a.id, { produceEventsPerSec: 100, produceBytesPerSec: null, readEventsPerSec: null, readBytesPerSec: null });
  limited = a.token;
  const r = await createApiKey(h.db, { name: "slow-reader", streams: ["quota"], canProduce: false, canConsume: true, createdById: null });
  await setApiKeyQuota(h.db, r.id, { produceEventsPerSec: null, produceBytesPerSec: null, readEventsPerSec: 10, readBytesPerSec: null });
  reader = r.token;
});
afterAll(() => h?.close());

type Answer = { status: number; retryAfter: string | null; body: { accepted?: number; events?: Array<{ seq: number }>; error?: { code: string; details?: Record<string, unknown> } } };

async function send(token: string, tag: string, n: number): Promise<Answer> {
  const events = Array.from({ length: n }, (_, i) => ({ key: `${tag}-${i}`, id: `${tag}-${i}` }));
  const res = await fetch(`${h.url}/v1/streams/quota/events`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
    body: JSON.stringify({ events }),
  });
  return { status: res.status, retryAfter: res.headers.get("retry-after"), body: (await res.json()) as Answer["body"] };
}

describe("per-key produce quota", () => {
  it("refuses a producer over its events/s whole with 429 and Retry-After, while another key is unaffected", async () => {
    const before = await totalRows(h);
    // 500 events in ten batches, sent back to back (well within a second), each followed by a
    // batch from the unlimited key.
    const limitedAnswers: Answer[] = [];
    const otherAnswers: Answer[] = [];
    const started = Date.now();
    for (let i = 0; i < 10; i++) {
      const [a, b] = await Promise.all([send(limited, `a${i}`, 50), send(h.token, `b${i}`, 50)]);
      limitedAnswers.push(a);
      otherAnswers.push(b);
    }
    expect(otherAnswers.map((a) => a.status)).toEqual(Array.from({ length: 10 }, () => 200));
    const refused = limitedAnswers.filter((a) => a.status === 429);
    const accepted = limitedAnswers.filter((a) => a.status === 200);
    expect(refused.length + accepted.length).toBe(10);
    // 100 events/s: two batches per one-second window the run touched.
    const windows = Math.ceil((Date.now() - started) / 1000) + 1;
    expect(accepted.length).toBeGreaterThanOrEqual(2);
    expect(accepted.length).toBeLessThanOrEqual(2 * windows);
    expect(refused.length).toBeGreaterThan(0);
    for (const r of refused) {
      expect(r.body.error?.code).toBe("rate_limited");
      expect(Number(r.retryAfter)).toBeGreaterThanOrEqual(1);
      expect(r.body.error?.details).toMatchObject({ limit: "produceEventsPerSec", max: 100 });
      expect(r.body.error?.details?.retryAfterMs).toBeGreaterThan(0);
    }
    // Nothing of a refused batch is stored, and refused batches take no sequence numbers: the
    // accepted batches' positions are one gapless range.
    const acceptedEvents = [...accepted, ...otherAnswers].reduce((n, a) => n + (a.body.accepted ?? 0), 0);
    expect(await totalRows(h)).toBe(before + acceptedEvents);
    const seqs = [...accepted, ...otherAnswers].flatMap((a) => a.body.events?.map((e) => e.seq) ?? []).sort((x, y) => x - y);
    expect(seqs[seqs.length - 1]! - seqs[0]! + 1).toBe(seqs.length);
  });

  it("answers the tRPC ingest over its quota with 429 and the same Retry-After", async () => {
    // Batches of 60 against 100 events/s: within one second the second batch is over the quota.
    let answer: { status: number; retryAfter: string | null } | null = null;
    for (let i = 0; i < 6 && answer?.status !== 429; i++) {
      const events = Array.from({ length: 60 }, (_, j) => ({ key: `t${i}-${j}`, id: `trpc-${i}-${j}` }));
      const res = await fetch(`${h.url}/trpc/ingest`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${limited}` },
        body: JSON.stringify({ stream: "quota", events }),
      });
      answer = { status: res.status, retryAfter: res.headers.get("retry-after") };
      await res.arrayBuffer();
    }
    expect(answer?.status).toBe(429);
    expect(Number(answer?.retryAfter)).toBeGreaterThanOrEqual(1);
  });

  it("refuses a batch larger than a second's quota as final (413), without touching the quota", async () => {
    const res = await send(limited, "big", 150);
    expect(res.status).toBe(413);
    expect(res.body.error?.details).toMatchObject({ limit: "produceEventsPerSec", max: 100, requested: 150 });
  });
});

describe("per-key read quota", () => {
  it("caps a page at the events left this second and refuses the next read with 429", async () => {
    await send(h.token, "r", 40);
    const first = await get(h, "/v1/streams/quota/events?after=0&limit=100", reader);
    expect(first.status).toBe(200);
    expect((first.body.events as unknown[]).length).toBe(10);
    const res = await fetch(`${h.url}/v1/streams/quota/events?after=0&limit=100`, { headers: { authorization: `Bearer ${reader}` } });
    expect(res.status).toBe(429);
    expect(Number(res.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
    // The producer key has no read limit.
    expect((await get(h, "/v1/streams/quota/events?after=0&limit=100")).status).toBe(200);
  });
});
