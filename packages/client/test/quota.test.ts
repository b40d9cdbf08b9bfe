import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApiKey, setApiKeyQuota } from "@shardcast/db";
import { ShardcastProducer, type ProducerEvent } from "../src/index.ts";
import { recordingFetch, startHarness, totalRows, type Harness } from "./harness.ts";

let h: Harness;
let limited: string;
beforeAll(async () => {
  h = await startHarness({ stream: "quota" });
  const key = await createApiKey(h.db, { name: "limited", streams: ["quota"], canProduce: true, canConsume: false, createdById: null });
  await setApiKeyQuota(h.db, key.id, { produceEventsPerSec: 100, produceBytesPerSec: null, readEventsPerSec: null, readBytesPerSec: null });
  limited = key.token;
});
afterAll(() => h?.close());

const events = (tag: string, n: number): ProducerEvent[] => Array.from({ length: n }, (_, i) => ({ key: `${tag}-${i}` }));

describe("produce quota", () => {
  it("waits out a 429's Retry-After before sending the refused batch again", async () => {
    const { fetch, log } = recordingFetch();
    const p = new ShardcastProducer({ url: h.url, apiKey: limited, stream: "quota", fetch, maxBatchEvents: 60, lingerMs: 0 });
    const before = await totalRows(h);
    // Three batches of 60 against 100 events/s: however the one-second windows fall, one of them
    // lands in a window another has filled.
    const results = await p.sendBatch(events("q1", 180));
    expect(results.length).toBe(180);
    expect(new Set(results.map((r) => r.seq)).size).toBe(180);
    expect(await totalRows(h)).toBe(before + 180);

    const refused = log.flatMap((x, i) => (x.status === 429 ? [i] : []));
    expect(refused.length).toBeGreaterThan(0);
    for (const i of refused) {
      const answer = log[i]!;
      const seconds = Number(answer.retryAfter);
      expect(seconds).toBeGreaterThanOrEqual(1);
      expect(answer.body).toMatchObject({ error: { code: "rate_limited", details: { limit: "produceEventsPerSec", max: 100 } } });
      const next = log[i + 1]!;
      expect(next.events).toBe(answer.events);
      expect(next.startedAt - answer.answeredAt).toBeGreaterThanOrEqual(seconds * 1000);
    }
    expect(log.filter((x) => x.status === 200).reduce((n, x) => n + x.events, 0)).toBe(180);
  });

  it("splits a batch larger than a whole second's quota (413) and sends the halves in order", async () => {
    const { fetch, log } = recordingFetch();
    const p = new ShardcastProducer({ url: h.url, apiKey: limited, stream: "quota", fetch, maxBatchEvents: 150, lingerMs: 0 });
    const results = await p.sendBatch(events("q2", 150));
    expect(log[0]).toMatchObject({ status: 413, events: 150 });
    expect(log.filter((x) => x.status === 200).map((x) => x.events)).toEqual([75, 75]);
    expect(results.every((r, i) => i === 0 || r.seq > results[i - 1]!.seq)).toBe(true);
  });
});
