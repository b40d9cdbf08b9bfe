import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { post, startHarness, type Harness } from "./harness.ts";

/**
 * A page the shard cache answers is written from each event's JSON text, kept when the event
 * entered the cache, instead of serializing the page: its body must be the very bytes an edge
 * without a cache sends for the same read, escapes, non-ASCII text and field order included.
 */

let h: Harness;
let plainUrl: string;

/** Keys, ids, types and payloads whose JSON needs escapes or is not ASCII. */
const TRICKY = ['quote " and \\ backslash', "line\nbreak\ttab\r", "\u2028\u2029 separators", "ключ 🔑 キー", "</script><!--", "\u0001\u001f controls", "é\u0301 combining", "emoji 👩‍👩‍👧 family"];

function events(tag: string) {
  return TRICKY.flatMap((text, i) => [
    {
      key: `${tag}:${text}:${i}`,
      id: `${tag}-${i}-${text}`,
      type: `t ${text}`,
      payload: { text, nested: { list: [text, i, -0.5, 1e21, null, true], [text]: text }, big: 123456789012, unicodeKey: { "ü🔑": text } },
    },
    // No id nor type: null in the stored event; an empty payload.
    { key: `${tag}-plain-${i}`, payload: {} },
  ]);
}

async function body(url: string, path: string): Promise<{ text: string; cache: string | null }> {
  const res = await fetch(url + path, { headers: { authorization: `Bearer ${h.token}` } });
  expect(res.status).toBe(200);
  return { text: await res.text(), cache: res.headers.get("x-shardcast-cache") };
}

beforeAll(async () => {
  h = await startHarness({ shardCount: 2, edge: { readCache: { maxBytes: 8 * 1024 * 1024, prefetchBytesPerSec: 0 } } });
  plainUrl = await h.startEdge({ readCache: { maxBytes: 0, prefetchBytesPerSec: 0 } });
  for (const tag of ["a", "b"]) {
    const res = await post(h, `/v1/streams/${h.stream}/events`, { events: events(tag) });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
  }
}, 60_000);

afterAll(async () => {
  await h?.close();
});

describe("bodies of pages the shard cache answers", () => {
  it("are byte for byte those of an edge without a cache, for shardlet reads", async () => {
    const shardlets = (await (await fetch(`${h.url}/v1/streams/${h.stream}/shardlets`, { headers: { authorization: `Bearer ${h.token}` } })).json()) as { shardlets: Array<{ id: string }> };
    let hits = 0;
    let events = 0;
    for (const { id } of shardlets.shardlets) {
      for (const limit of [1000, 3]) {
        const path = `/v1/streams/${h.stream}/shardlets/${id}/events?after=0&limit=${limit}`;
        const plain = await body(plainUrl, path);
        expect(plain.cache).toBeNull();
        const first = await body(h.url, path);
        const again = await body(h.url, path);
        expect(again.cache).toBe("hit");
        expect(first.text).toBe(plain.text);
        expect(again.text).toBe(plain.text);
        // A later page of the cached span, too.
        const page = JSON.parse(plain.text) as { events: unknown[]; next: number; watermark: number };
        if (page.next < page.watermark) {
          const later = `/v1/streams/${h.stream}/shardlets/${id}/events?after=${page.next}&limit=${limit}`;
          const fromCache = await body(h.url, later);
          expect(fromCache.cache).toBe("hit");
          expect(fromCache.text).toBe((await body(plainUrl, later)).text);
        }
        hits++;
        events += page.events.length;
      }
    }
    expect(hits).toBeGreaterThan(0);
    expect(events).toBeGreaterThan(0);
  });

  it("are byte for byte those of an edge without a cache, for reads by position", async () => {
    for (const [after, limit] of [
      [0, 1000],
      [0, 5],
      [7, 4],
    ] as const) {
      const path = `/v1/streams/${h.stream}/events?after=${after}&limit=${limit}`;
      const plain = await body(plainUrl, path);
      await body(h.url, path);
      const again = await body(h.url, path);
      expect(again.cache).toBe("hit");
      expect(again.text).toBe(plain.text);
      expect((JSON.parse(plain.text) as { events: unknown[] }).events.length).toBeGreaterThan(0);
    }
  });
});
