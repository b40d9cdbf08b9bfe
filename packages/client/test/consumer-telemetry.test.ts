import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { findConsumerGroup, getConsumerGroupState, type ConsumerMemberInfo } from "@shardcast/db";
import { waitFor } from "@shardcast/db/testing";
import { ShardcastConsumer, ShardcastProducer, type ConsumerOptions, type FetchLike } from "../src/index.ts";
import { recordingFetch, startHarness, type Harness } from "./harness.ts";

/** The SDK's telemetry on a real edge: what it sends, what is stored, and edges that refuse it. */

let h: Harness;
let producer: ShardcastProducer;
beforeAll(async () => {
  h = await startHarness({ stream: "telemetry", shardCount: 2 });
  producer = new ShardcastProducer({ url: h.url, apiKey: h.token, stream: h.stream });
  await producer.sendBatch(Array.from({ length: 400 }, (_, i) => ({ key: `k-${i}`, payload: { i } })));
});
afterAll(async () => {
  await producer?.close();
  await h?.close();
});

const running: ShardcastConsumer[] = [];
afterEach(async () => {
  for (const c of running.splice(0)) await c.stop();
});

function consumer(group: string, opts: Partial<ConsumerOptions> & { seen?: { n: number } } = {}): ShardcastConsumer {
  const seen = opts.seen ?? { n: 0 };
  const c = new ShardcastConsumer({
    url: h.url,
    apiKey: h.token,
    stream: h.stream,
    group,
    pollLimit: 50,
    maxIdleWaitMs: 100,
    // A handler that takes measurable time: the processing rate is events per second of it.
    handler: async (batch) => {
      await new Promise((r) => setTimeout(r, 5));
      seen.n += batch.events.length;
    },
    ...opts,
  });
  running.push(c);
  return c;
}

async function memberOf(group: string): Promise<ConsumerMemberInfo | undefined> {
  const g = await findConsumerGroup(h.db, h.streamId, group);
  return g ? (await getConsumerGroupState(h.db, g.id))?.members[0] : undefined;
}

describe("consumer telemetry", () => {
  it("reports its process and its handler's processing with polls, and the edge stores them", async () => {
    const seen = { n: 0 };
    const { fetch, log } = recordingFetch();
    await consumer("reported", { seen, fetch }).start();
    const m = await waitFor("telemetry covering all 400 events", async () => {
      const row = await memberOf("reported");
      return seen.n >= 400 && row?.telemetry && row.telemetry.events >= 400 && row;
    }, 30_000);
    const t = m.telemetry!;
    expect(t.rssBytes).toBeGreaterThan(1_000_000);
    expect(t.heapUsedBytes).toBeGreaterThan(0);
    expect(t.cpu).toBeGreaterThanOrEqual(0);
    expect(t.loopLagMs).toBeGreaterThanOrEqual(0);
    // Each batch slept 5 ms or more: at most 50 events per 5 ms of handler time.
    expect(t.handlerMs).toBeGreaterThanOrEqual(5 * Math.ceil(400 / 50));
    expect(t.events / (t.handlerMs / 1000)).toBeLessThanOrEqual(10_000);
    const polls = log.filter((x) => x.url.endsWith("/poll"));
    expect(polls.every((x) => (JSON.parse(x.requestBody) as { telemetry?: unknown }).telemetry !== undefined)).toBe(true);
  });

  it("sends none when told not to", async () => {
    const seen = { n: 0 };
    const { fetch, log } = recordingFetch();
    await consumer("silent", { seen, fetch, telemetry: false }).start();
    await waitFor("all 400 events", () => seen.n >= 400, 30_000);
    expect(log.some((x) => x.requestBody.includes("telemetry"))).toBe(false);
    expect((await memberOf("silent"))?.telemetry).toBeNull();
  });

  it("stops sending it to an edge that refuses the field, and goes on consuming", async () => {
    const seen = { n: 0 };
    let refused = 0;
    // An edge from before telemetry: its strict poll body refuses the unknown field.
    const old: FetchLike = async (url, init) => {
      if (url.endsWith("/poll") && typeof init.body === "string" && init.body.includes('"telemetry"')) {
        refused++;
        const error = { code: "validation_failed", message: 'invalid request body: Unrecognized key: "telemetry"', details: { issues: [{ path: [], message: 'Unrecognized key: "telemetry"' }] } };
        return new Response(JSON.stringify({ error }), { status: 400, headers: { "content-type": "application/json" } });
      }
      return fetch(url, init);
    };
    await consumer("old-edge", { seen, fetch: old }).start();
    await waitFor("all 400 events", () => seen.n >= 400, 30_000);
    expect(refused).toBe(1);
  });
});
