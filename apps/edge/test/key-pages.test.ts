import { describe, expect, it } from "vitest";
import { createRng, type StoredEvent } from "@shardcast/core";
import type { KeyReadResult, ReadByKeyQuery } from "@shardcast/db/host";
import type { SequenceAllocator } from "@shardcast/runtime";
import { ReadService, type KeyPage } from "../src/reads.ts";
import type { RoutingCache } from "../src/routing-cache.ts";

/**
 * Reads by key going on from each page's `next`, over hosts holding copies of one event (both
 * hosts of a migration, the overflow log on the shard's home host, both tables of one host), with
 * pages cut by count and by bytes (by the edge and by each host), inside runs of events of one time.
 */

const ev = (seq: number, ts: number, bytes: number): StoredEvent => ({ streamId: "st", seq, shardletId: "sl", key: "k", id: `e-${seq}`, type: null, ts, payload: "x".repeat(bytes) });

/**
 * What a host answers, as the host query does: (time, position) order, after the continuation, at
 * most `limit`, and rows while the bytes before them are under `maxBytes` (a host counts an event's
 * size its own way, here its payload's length); `more` when either stopped it.
 */
function hostAnswer(rows: readonly StoredEvent[], q: ReadByKeyQuery): KeyReadResult {
  const matching = rows
    .filter((e) => (q.fromTs === undefined || e.ts >= q.fromTs) && (q.toTs === undefined || e.ts < q.toTs))
    .filter((e) => q.afterSeq === undefined || e.ts > q.fromTs! || e.seq > q.afterSeq)
    .sort((a, b) => a.ts - b.ts || a.seq - b.seq);
  const events: StoredEvent[] = [];
  let bytes = 0;
  for (const e of matching) {
    if (events.length >= q.limit || bytes >= (q.maxBytes ?? Infinity)) break;
    events.push({ ...e }); // each host answers with objects of its own
    bytes += (e.payload as string).length;
  }
  return { events, more: events.length >= q.limit || bytes >= (q.maxBytes ?? Infinity) };
}

function service(rows: Record<"h1" | "h2" | "h3", StoredEvent[]>, pageBytes: number) {
  const route = { id: "sl", hostId: "h1", shadowHostId: "h2", shardId: "sh" };
  const entry = { meta: { id: "st", name: "s", keyField: null }, table: { lookup: () => route }, shards: new Map([["sh", { homeHostId: "h3" }]]) };
  return new ReadService({
    routing: { get: () => Promise.resolve(entry) } as unknown as RoutingCache,
    sequences: {} as SequenceAllocator,
    hosts: {
      readByPosition: () => Promise.resolve({ events: [], completeTo: 0 }),
      readByKey: (hostId, q) => Promise.resolve(hostAnswer(rows[hostId as "h1" | "h2" | "h3"], q)),
    },
    pageBytes,
  });
}

describe("reads by key in pages", () => {
  it("go on from each page's next to read every event of the range once, whatever cuts the pages", async () => {
    const rng = createRng("key-pages");
    for (let round = 0; round < 150; round++) {
      const events: StoredEvent[] = [];
      let ts = 1_000;
      for (let seq = 1; seq <= 60; seq++) {
        if (rng.next() < 0.3) ts += 1 + rng.int(3); // else the same time as the one before
        events.push(ev(seq, ts, 1 + rng.int(100)));
      }
      const rows = { h1: [] as StoredEvent[], h2: [] as StoredEvent[], h3: [] as StoredEvent[] };
      for (const e of events) {
        const on = (["h1", "h2", "h3"] as const).filter(() => rng.next() < 0.5);
        // A host may hold an event twice: in its shardlet's rows and, not yet cleaned, in the overflow log.
        for (const h of on.length > 0 ? on : (["h1"] as const)) rows[h].push(...(rng.next() < 0.2 ? [e, e] : [e]));
      }
      const limit = 1 + rng.int(15);
      const pageBytes = 50 + rng.int(500);
      const toTs = rng.next() < 0.3 ? ts : undefined;
      const expected = events.filter((e) => toTs === undefined || e.ts < toTs).map((e) => e.seq);
      const reads = service(rows, pageBytes);
      const got: number[] = [];
      let page: KeyPage = await reads.byKey("s", "k", { limit, ...(toTs !== undefined ? { toTs } : {}) });
      for (let pages = 1; ; pages++) {
        expect(pages).toBeLessThanOrEqual(expected.length + 1);
        got.push(...page.events.map((e) => e.seq));
        if (!page.next) break;
        expect(page.events.length).toBeGreaterThan(0);
        page = await reads.byKey("s", "k", { limit, fromTs: page.next.from, afterSeq: page.next.after, ...(toTs !== undefined ? { toTs } : {}) });
      }
      expect(got, `round ${round}`).toEqual(expected);
    }
  });

  it("refuse (unavailable) rather than answer without next while the route stays stale", async () => {
    // The route names h1 alone, whose fence says the shardlet has moved off it, on every refresh.
    const route = { id: "sl", hostId: "h1", shadowHostId: null, shardId: "sh" };
    const entry = { meta: { id: "st", name: "s", keyField: null }, table: { lookup: () => route }, shards: new Map() };
    let refreshes = 0;
    const reads = new ReadService({
      routing: {
        get: () => Promise.resolve(entry),
        refreshById: () => {
          refreshes++;
          return Promise.resolve(entry);
        },
      } as unknown as RoutingCache,
      sequences: {} as SequenceAllocator,
      hosts: {
        readByPosition: () => Promise.resolve({ events: [], completeTo: 0 }),
        readByKey: (_hostId, q) => Promise.resolve(hostAnswer([ev(1, 1_000, 10)], q)),
        fence: () => Promise.resolve({ epoch: 2, state: "moved" }),
      },
    });
    const refused: unknown = await reads.byKey("s", "k", { limit: 10 }).catch((err: unknown) => err);
    expect(refused).toMatchObject({ code: "unavailable" });
    expect((refused as Error).message).toMatch(/moving between hosts/);
    expect(refreshes).toBeGreaterThan(0);
  });
});
