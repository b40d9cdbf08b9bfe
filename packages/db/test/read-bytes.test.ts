import { createHash, randomBytes } from "node:crypto";
import { eventSizeBytes, keyHash, knownEventSizes, type StoredEvent } from "@shardcast/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { appendReplicaRows, createReplica, HostDriver, readReplicaRanges, readReplicaSource } from "../src/index.ts";
import { createTestHostDb } from "../src/testing.ts";
import { event } from "./helpers.ts";

/**
 * Host reads of large events bounded by bytes as well as by count: a page holds about the byte
 * budget of rows (up to and including the first row that reaches it), not `limit` rows, and going
 * on from where each page says it is complete returns every event exactly once: reads by position,
 * by key, of key-hash ranges and of a replica. In the mixed stream some events are only in the
 * overflow log and some in both tables (a copy not yet cleaned), so the two tables are cut at
 * different places and the answer must end at the earlier cut.
 */

const N = 240;
const BUDGET = 256 * 1024;
const LIMIT = 1_000;
const MAX_SEQ = 10_000;
const ALL = { lo: 0, hi: 2 ** 32 };
const T0 = 1_800_000_000_000;

type Written = ReturnType<typeof event>;

/** Stored events, as written: the checksum and sizes every read is held to. */
const streams = { plain: [] as Written[], mixed: [] as Written[] };

/** Events of 6 to 14 KB, every other one of key "big", four at a time sharing one time. */
function makeEvents(): Written[] {
  return Array.from({ length: N }, (_, i) => {
    const seq = i + 1;
    const key = seq % 2 === 0 ? "big" : `k-${seq}`;
    const blob = randomBytes(3_000 + ((seq * 7919) % 4_000)).toString("hex");
    return event(seq, key, { id: `e-${seq}`, ts: T0 + Math.floor(seq / 4), payload: { seq, blob }, keyHash: keyHash(key) });
  });
}

function checksum(events: ReadonlyArray<{ seq: number; id: string | null; payload: unknown }>): string {
  const rows = [...events].sort((a, b) => a.seq - b.seq).map((e) => [e.seq, e.id, createHash("sha256").update(JSON.stringify(e.payload)).digest("hex")]);
  return createHash("sha256").update(JSON.stringify(rows)).digest("hex");
}

function expectedChecksum(events: readonly Written[]): string {
  return checksum(events.map((e) => ({ seq: e.seq, id: e.id, payload: JSON.parse(e.payloadJson) as unknown })));
}

/** Pages read in turn: no position in two pages, and together every event once (copies in one page are one). */
function expectEveryEventOnce(pages: ReadonlyArray<readonly StoredEvent[]>, written: readonly Written[]): void {
  const seen = new Map<number, StoredEvent>();
  for (const page of pages) {
    const own = new Map(page.map((e) => [e.seq, e]));
    for (const seq of own.keys()) expect(seen.has(seq), `position ${seq} in two pages`).toBe(false);
    for (const [seq, e] of own) seen.set(seq, e);
  }
  expect(seen.size).toBe(written.length);
  expect(checksum([...seen.values()])).toBe(expectedChecksum(written));
  expectStoredSizes(pages, written);
}

/**
 * Every event read carries the size it was stored with, so the edge counts it without serializing
 * its payload, and that size is what counting the event read would give.
 */
function expectStoredSizes(pages: ReadonlyArray<readonly StoredEvent[]>, written: readonly Written[]): void {
  const size = new Map(written.map((e) => [e.seq, e.sizeBytes]));
  for (const e of pages.flat()) {
    expect(knownEventSizes.get(e), `size of position ${e.seq}`).toBe(size.get(e.seq));
    expect(knownEventSizes.get(e)).toBe(eventSizeBytes(e));
  }
}

/** Bytes of a page's rows as the host counts them (`size_bytes`). */
function bytesOf(page: readonly StoredEvent[], written: readonly Written[]): number {
  const size = new Map(written.map((e) => [e.seq, e.sizeBytes]));
  return page.reduce((n, e) => n + size.get(e.seq)!, 0);
}

/**
 * One table's page: the rows before its last are under the budget and the last one reaches it
 * (the last page may stop short of it), never `limit` rows.
 */
function expectBudgeted(pages: ReadonlyArray<readonly StoredEvent[]>, written: readonly Written[]): void {
  expect(pages.length).toBeGreaterThan(4);
  for (const [i, page] of pages.entries()) {
    expect(page.length).toBeGreaterThan(0);
    expect(page.length).toBeLessThan(LIMIT / 10);
    expect(bytesOf(page.slice(0, -1), written)).toBeLessThan(BUDGET);
    if (i < pages.length - 1) expect(bytesOf(page, written)).toBeGreaterThanOrEqual(BUDGET);
  }
}

/**
 * Two tables, each cut by its own bytes: a page ends at the earlier cut, so it holds at least the
 * budget of distinct events (but for the last page) and less than the budget and one event from each table.
 */
function expectMixedBudgeted(pages: ReadonlyArray<readonly StoredEvent[]>, written: readonly Written[]): void {
  expect(pages.length).toBeGreaterThan(2);
  const largest = Math.max(...written.map((e) => e.sizeBytes));
  for (const [i, page] of pages.entries()) {
    const distinct = [...new Map(page.map((e) => [e.seq, e])).values()];
    if (i < pages.length - 1) expect(bytesOf(distinct, written)).toBeGreaterThanOrEqual(BUDGET);
    expect(bytesOf(page, written)).toBeLessThan(2 * (BUDGET + largest));
  }
}

describe("host reads bounded by bytes", () => {
  let host: { dsn: string; drop: () => Promise<void> };
  let driver: HostDriver;

  beforeAll(async () => {
    host = await createTestHostDb();
    driver = new HostDriver(host.dsn, { poolSize: 2 });
    await driver.setFence("plain-all", "plain", 1, "active", ALL);
    await driver.setFence("mixed-all", "mixed", 1, "active", ALL);
    streams.plain = makeEvents();
    streams.mixed = makeEvents();
    for (let i = 0; i < N; i += 60) await driver.fencedWrite({ streamId: "plain", shardletId: "plain-all", epoch: 1, events: streams.plain.slice(i, i + 60) });
    // Mixed: every sixth event only in the overflow log, every fifth in both tables.
    const inEvents = streams.mixed.filter((e) => e.seq % 6 !== 0);
    const inOverflow = streams.mixed.filter((e) => e.seq % 6 === 0 || e.seq % 5 === 0);
    for (let i = 0; i < inEvents.length; i += 60) await driver.fencedWrite({ streamId: "mixed", shardletId: "mixed-all", epoch: 1, events: inEvents.slice(i, i + 60) });
    await driver.appendOverflow({ streamId: "mixed", parts: [{ shardId: "shard-0", shardletId: "mixed-all", events: inOverflow }] });
  }, 60_000);

  afterAll(async () => {
    await driver?.close();
    await host?.drop();
  });

  /** Reads by position from each page's `completeTo` until the watermark. */
  async function positionPages(streamId: string): Promise<StoredEvent[][]> {
    const pages: StoredEvent[][] = [];
    let after = 0;
    for (let round = 0; round < 100; round++) {
      const page = await driver.readByPosition({ streamId, afterSeq: after, maxSeq: MAX_SEQ, limit: LIMIT, maxBytes: BUDGET });
      expect(page.completeTo).toBeGreaterThan(after);
      expect(page.events.every((e) => e.seq > after && e.seq <= page.completeTo)).toBe(true);
      pages.push(page.events);
      if (page.completeTo >= MAX_SEQ) return pages;
      after = page.completeTo;
    }
    throw new Error("reading did not finish");
  }

  it("reads by position about the budget's bytes per page, and every event once going on from each page", async () => {
    const plain = await positionPages("plain");
    expectBudgeted(plain, streams.plain);
    expectEveryEventOnce(plain, streams.plain);

    const mixed = await positionPages("mixed");
    expectMixedBudgeted(mixed, streams.mixed);
    expectEveryEventOnce(mixed, streams.mixed);
  });

  it("reads by position with the fences asked for, as of the rows, the page cut where it is without them", async () => {
    const q = { streamId: "mixed", afterSeq: 0, maxSeq: MAX_SEQ, limit: LIMIT, maxBytes: BUDGET };
    const without = await driver.readByPosition(q);
    expect(without.fences).toBeUndefined();
    const fenced = await driver.readByPosition({ ...q, fenceIds: ["mixed-all", "no-such-shardlet"] });
    expect(fenced.fences).toEqual([{ shardletId: "mixed-all", state: "active" }]);
    expect(fenced.completeTo).toBe(without.completeTo);
    expect(fenced.completeTo).toBeLessThan(MAX_SEQ);
    expect(fenced.events).toEqual(without.events);
    expect((await driver.readByPosition({ ...q, fenceIds: [] })).fences).toEqual([]);
    // Past the stream's last event: no rows, and the fences all the same.
    const empty = await driver.readByPosition({ ...q, afterSeq: MAX_SEQ - 1, fenceIds: ["plain-all"] });
    expect(empty).toEqual({ events: [], completeTo: MAX_SEQ, fences: [{ shardletId: "plain-all", state: "active" }] });
  });

  it("reads a key's events about the budget's bytes per page, going on inside a run of one time, each event once", async () => {
    for (const [streamId, written] of Object.entries(streams)) {
      const big = written.filter((e) => e.key === "big");
      const pages: StoredEvent[][] = [];
      let page = await driver.readByKey({ streamId, key: "big", limit: LIMIT, maxBytes: BUDGET });
      for (let round = 0; round < 100; round++) {
        pages.push(page.events);
        if (!page.more) break;
        const last = page.events[page.events.length - 1]!;
        page = await driver.readByKey({ streamId, key: "big", fromTs: last.ts, afterSeq: last.seq, limit: LIMIT, maxBytes: BUDGET });
      }
      if (streamId === "plain") expectBudgeted(pages, big);
      else expectMixedBudgeted(pages, big);
      expectEveryEventOnce(pages, big);
    }
  });

  it("reads key-hash ranges about the budget's bytes per page, and every event once going on from each page", async () => {
    for (const [streamId, written] of Object.entries(streams)) {
      const pages: StoredEvent[][] = [];
      let after = 0;
      for (let round = 0; round < 100 && after < MAX_SEQ; round++) {
        const halves = [
          { lo: 0, hi: 2 ** 31, after },
          { lo: 2 ** 31, hi: 2 ** 32, after },
        ];
        const page = await driver.readRanges({ streamId, segments: halves, maxSeq: MAX_SEQ, limit: LIMIT, maxBytes: BUDGET, scanLimit: 100_000, fenceIds: [] });
        expect(page.completeTo).toBeGreaterThan(after);
        pages.push(page.events);
        after = page.completeTo;
      }
      expect(after).toBe(MAX_SEQ);
      if (streamId === "plain") expectBudgeted(pages, written);
      else expectMixedBudgeted(pages, written);
      expectEveryEventOnce(pages, written);
    }
  });

  it("reads a replica about the budget's bytes per page, and every event once going on from each page", async () => {
    await createReplica(driver, { replicaId: "replica-1", streamId: "plain", ...ALL });
    const source = await readReplicaSource(driver, { streamId: "plain", ...ALL, shardletId: "plain-all", afterSeq: 0, upToSeq: N, limit: 10_000 });
    expect(await appendReplicaRows(driver, { replicaId: "replica-1", fromSeq: 0, toSeq: N, rows: source.rows })).toEqual({ events: N, bytes: expect.any(Number) as number });
    const pages: StoredEvent[][] = [];
    let after = 0;
    for (let round = 0; round < 100 && after < N; round++) {
      const page = await readReplicaRanges(driver, { replicaId: "replica-1", streamId: "plain", segments: [{ ...ALL, after }], maxSeq: MAX_SEQ, limit: LIMIT, maxBytes: BUDGET });
      expect(page.ok).toBe(true);
      expect(page.completeTo).toBeGreaterThan(after);
      pages.push(page.events);
      after = page.completeTo;
    }
    expect(after).toBe(N);
    expectBudgeted(pages, streams.plain);
    expectEveryEventOnce(pages, streams.plain);
  });
});
