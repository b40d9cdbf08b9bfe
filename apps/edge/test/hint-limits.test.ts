import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApiKey, createStream, insertLoadHints, setApiKeyQuota } from "@shardcast/db";
import { get, startHarness, type Harness } from "./harness.ts";

const CAP = 100;
const HOUR = 3_600_000;

let h: Harness;
let limited: string;
let anyStream: string;
let quotaStreamId: string;
let capStreamId: string;
beforeAll(async () => {
  h = await startHarness({ stream: "hint-limits", edge: { maxActiveHintsPerStream: CAP } });
  quotaStreamId = (await createStream(h.db, h.hosts, { name: "hint-quota", shardCount: 1 })).id;
  capStreamId = (await createStream(h.db, h.hosts, { name: "hint-cap", shardCount: 1 })).id;
  const key = await createApiKey(h.db, { name: "one-per-second", streams: ["hint-quota"], canProduce: true, canConsume: false, createdById: null });
  await setApiKeyQuota(h.db, key.id, { produceEventsPerSec: 5, produceBytesPerSec: null, readEventsPerSec: null, readBytesPerSec: null });
  limited = key.token;
  anyStream = (await createApiKey(h.db, { name: "unlimited", streams: ["*"], canProduce: true, canConsume: false, createdById: null })).token;
});
afterAll(() => h?.close());

type Answer = { status: number; retryAfter: string | null; body: { hints?: unknown[]; error?: { code: string; message: string; details?: Record<string, unknown> } } };

async function hint(token: string, stream: string, keys: number, tag: string): Promise<Answer> {
  const now = Date.now();
  const res = await fetch(`${h.url}/v1/hints`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
    body: JSON.stringify({ stream, keys: Array.from({ length: keys }, (_, i) => `${tag}-${i}`), eventsPerSec: 100, startsAt: now, endsAt: now + HOUR }),
  });
  return { status: res.status, retryAfter: res.headers.get("retry-after"), body: (await res.json()) as Answer["body"] };
}

const rowsOf = (streamId: string) => h.db.loadHint.count({ where: { streamId } });

describe("hints and the key's produce quota", () => {
  it("refuses a hint with more rows than the key may send in a second (413) and stores nothing", async () => {
    const res = await hint(limited, "hint-quota", 6, "too-many");
    expect(res.status).toBe(413);
    expect(res.body.error?.code).toBe("payload_too_large");
    expect(await rowsOf(quotaStreamId)).toBe(0);
  });

  it("refuses hints over the key's events/s with 429 and Retry-After; only the admitted ones are stored", async () => {
    // Three rows a request against 5 events/s: one request per one-second window at most.
    const answers: Answer[] = [];
    const started = Date.now();
    for (let i = 0; i < 10; i++) answers.push(await hint(limited, "hint-quota", 3, `burst-${i}`));
    const windows = Math.ceil((Date.now() - started) / 1000) + 1;
    const accepted = answers.filter((a) => a.status === 201);
    const refused = answers.filter((a) => a.status === 429);
    expect(accepted.length + refused.length).toBe(10);
    expect(accepted.length).toBeGreaterThanOrEqual(1);
    expect(accepted.length).toBeLessThanOrEqual(windows);
    expect(refused.length).toBeGreaterThan(0);
    for (const r of refused) {
      expect(r.body.error?.code).toBe("rate_limited");
      expect(r.body.error?.details).toMatchObject({ limit: "produceEventsPerSec", max: 5 });
      expect(Number(r.retryAfter)).toBeGreaterThanOrEqual(1);
    }
    expect(await rowsOf(quotaStreamId)).toBe(3 * accepted.length);
  });
});

describe("active hints per stream", () => {
  it("stores up to the cap, refuses a request past it whole with 409, and does not count ended hints", async () => {
    // Ended hints stay until retention deletes them; they no longer steer anything.
    const ended = Date.now() - HOUR;
    await insertLoadHints(
      h.db,
      Array.from({ length: 2 * CAP }, (_, i) => ({ streamId: capStreamId, lo: i, hi: i + 1, eventsPerSec: 1, startsAt: ended - HOUR, endsAt: ended })),
    );
    const before = await rowsOf(capStreamId);

    expect((await hint(anyStream, "hint-cap", 60, "first")).status).toBe(201);
    const over = await hint(anyStream, "hint-cap", 50, "second");
    expect(over.status).toBe(409);
    expect(over.body.error?.code).toBe("conflict");
    expect(over.body.error?.message).toMatch(/has 60 hints that have not ended and may have at most 100/);
    expect(over.body.error?.details).toEqual({ active: 60, max: CAP, requested: 50 });
    expect(await rowsOf(capStreamId)).toBe(before + 60);

    expect((await hint(anyStream, "hint-cap", 40, "third")).status).toBe(201);
    expect((await hint(anyStream, "hint-cap", 1, "fourth")).status).toBe(409);
    expect(await rowsOf(capStreamId)).toBe(before + CAP);
    const listed = await get(h, "/v1/hints?stream=hint-cap", anyStream);
    expect((listed.body as { hints: unknown[] }).hints).toHaveLength(CAP);
  });

  it("gives back the quota a request refused for the cap had taken", async () => {
    const full = (await createStream(h.db, h.hosts, { name: "hint-full", shardCount: 1 })).id;
    await createStream(h.db, h.hosts, { name: "hint-room", shardCount: 1 });
    const now = Date.now();
    await insertLoadHints(
      h.db,
      Array.from({ length: CAP }, (_, i) => ({ streamId: full, lo: i, hi: i + 1, eventsPerSec: 1, startsAt: now, endsAt: now + HOUR })),
    );
    const key = await createApiKey(h.db, { name: "refunded", streams: ["hint-full", "hint-room"], canProduce: true, canConsume: false, createdById: null });
    await setApiKeyQuota(h.db, key.id, { produceEventsPerSec: 5, produceBytesPerSec: null, readEventsPerSec: null, readBytesPerSec: null });
    // The whole second's quota, refused by the cap: the next request in that second still fits.
    expect((await hint(key.token, "hint-full", 5, "refused")).status).toBe(409);
    const next = await hint(key.token, "hint-room", 5, "after-refusal");
    expect(next.body.error).toBeUndefined();
    expect(next.status).toBe(201);
  });

  it("lets only one of two concurrent requests that together pass the cap store its hints", async () => {
    const streamId = (await createStream(h.db, h.hosts, { name: "hint-race", shardCount: 1 })).id;
    const answers = await Promise.all([hint(anyStream, "hint-race", 60, "a"), hint(anyStream, "hint-race", 60, "b")]);
    expect(answers.map((a) => a.status).sort()).toEqual([201, 409]);
    expect(await rowsOf(streamId)).toBe(60);
  });
});
