import { randomBytes } from "node:crypto";
import type { StoredEvent } from "@shardcast/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { KEY_READ_MAX_BATCHES } from "../src/host/reads.ts";
import { HostDriver } from "../src/index.ts";
import { createTestHostDb } from "../src/testing.ts";
import { event } from "./helpers.ts";

/**
 * Reads of archived events pay for the batches they return: every batch a page's rows point at
 * comes back whole, so its compressed size counts toward the page's byte budget (once per batch),
 * and a read by key stops at a number of batches even without a budget. One key's events fall in
 * a different batch each, so without that a small page of a key returned every batch of its range.
 * Going on from each page returns exactly what one unbounded read returned before the archive.
 */

const BATCHES = 20;
const PER_BATCH = 50;
const N = BATCHES * PER_BATCH;
const BUDGET = 64 * 1024;
const T0 = 1_800_000_000_000;
const streamId = "stream-archive-budget";

/** Two events of key "k" per batch, sharing one time; every other event has a key of its own. */
const written = Array.from({ length: N }, (_, i) => {
  const seq = i + 1;
  const key = i % PER_BATCH === 7 || i % PER_BATCH === 8 ? "k" : `o-${seq}`;
  return event(seq, key, { id: `e-${seq}`, ts: T0 + Math.floor(seq / 2), payload: { seq, blob: randomBytes(600).toString("hex") } });
});
/** Some of k's events also in the overflow log (a copy not yet cleaned): two tables, each with its own cut. */
const copies = written.filter((e) => e.key === "k" && e.seq % 4 === 0);

interface Cost {
  size: number;
  batch: number;
  blobBytes: number;
}

describe("reads of archived events bounded by the batches they return", () => {
  let host: { dsn: string; drop: () => Promise<void> };
  let driver: HostDriver;
  let beforeKey: StoredEvent[];
  let beforeAll_: StoredEvent[];
  const cost = new Map<number, Cost>();

  beforeAll(async () => {
    host = await createTestHostDb();
    driver = new HostDriver(host.dsn, { poolSize: 2 });
    await driver.setFence("s", streamId, 1, "active", { lo: 0, hi: 2 ** 32 });
    for (let i = 0; i < N; i += 200) await driver.fencedWrite({ streamId, shardletId: "s", epoch: 1, events: written.slice(i, i + 200) });
    await driver.appendOverflow({ streamId, parts: [{ shardId: "shard-0", shardletId: "s", events: copies }] });
    beforeKey = (await driver.readByKey({ streamId, key: "k", limit: 1_000 })).events;
    beforeAll_ = (await driver.readByPosition({ streamId, afterSeq: 0, maxSeq: N, limit: 2 * N })).events;
    const range = { streamId, lo: 0, hi: 2 ** 32, storedBefore: Date.now() + 60_000, limit: PER_BATCH };
    for (let c = await driver.archiveChunk(range); c; c = await driver.archiveChunk(range));
    const rows = await driver.withClient((c) =>
      c.query<{ seq: string; size: number; batch: string; blob_bytes: number }>(
        `SELECT e.seq, e.size_bytes AS size, e.archive_batch AS batch, octet_length(a.blob) AS blob_bytes
         FROM sc_events e JOIN sc_archive a ON a.batch_id = e.archive_batch WHERE e.stream_id = $1`,
        [streamId],
      ),
    );
    for (const r of rows.rows) cost.set(Number(r.seq), { size: r.size, batch: Number(r.batch), blobBytes: r.blob_bytes });
  }, 60_000);

  afterAll(async () => {
    await driver?.close();
    await host?.drop();
  });

  it("archives the stream into batches larger than a page's share of them", () => {
    expect(cost.size).toBe(N);
    expect(new Set([...cost.values()].map((c) => c.batch)).size).toBe(BATCHES);
    expect(Math.min(...[...cost.values()].map((c) => c.blobBytes))).toBeGreaterThan(BUDGET / 4);
  });

  /**
   * Bytes the events table's part of a page pulled before its last row: the rows' sizes and, once
   * each, the batches they point at (an overflow copy is the other table's, under its own budget).
   */
  function bytesBeforeLast(page: readonly StoredEvent[]): number {
    const seqs = [...new Set(page.map((e) => e.seq))];
    const seen = new Set<number>();
    let bytes = 0;
    for (const seq of seqs.slice(0, -1)) {
      const c = cost.get(seq)!;
      bytes += c.size;
      if (!seen.has(c.batch)) bytes += c.blobBytes;
      seen.add(c.batch);
    }
    return bytes;
  }

  const batchesOf = (page: readonly StoredEvent[]) => new Set(page.map((e) => cost.get(e.seq)!.batch)).size;

  async function keyPages(maxBytes?: number): Promise<StoredEvent[][]> {
    const pages: StoredEvent[][] = [];
    let page = await driver.readByKey({ streamId, key: "k", limit: 1_000, ...(maxBytes === undefined ? {} : { maxBytes }) });
    for (let round = 0; round < 200; round++) {
      expect(page.events.length).toBeGreaterThan(0);
      pages.push(page.events);
      if (!page.more) return pages;
      const last = page.events[page.events.length - 1]!;
      page = await driver.readByKey({ streamId, key: "k", fromTs: last.ts, afterSeq: last.seq, limit: 1_000, ...(maxBytes === undefined ? {} : { maxBytes }) });
    }
    throw new Error("reading did not finish");
  }

  it("counts each batch of a key's page toward its byte budget, and the pages together are the unbounded read", async () => {
    const pages = await keyPages(BUDGET);
    expect(pages.length).toBeGreaterThan(BATCHES / 4);
    for (const page of pages) expect(bytesBeforeLast(page)).toBeLessThan(BUDGET);
    expect(pages.flat()).toEqual(beforeKey);
  });

  it("stops a key's page at a number of batches when no byte budget is asked for", async () => {
    const pages = await keyPages();
    expect(pages.length).toBeGreaterThan(1);
    for (const page of pages) expect(batchesOf(page)).toBeLessThanOrEqual(KEY_READ_MAX_BATCHES);
    expect(pages.flat()).toEqual(beforeKey);
  });

  it("counts each batch of a page by position toward its byte budget, and the pages together are the unbounded read", async () => {
    const pages: StoredEvent[][] = [];
    let after = 0;
    for (let round = 0; round < 200 && after < N; round++) {
      const page = await driver.readByPosition({ streamId, afterSeq: after, maxSeq: N, limit: 2 * N, maxBytes: BUDGET });
      expect(page.completeTo).toBeGreaterThan(after);
      pages.push(page.events);
      after = page.completeTo;
    }
    expect(after).toBe(N);
    expect(pages.length).toBeGreaterThan(BATCHES / 2);
    for (const page of pages) expect(bytesBeforeLast(page)).toBeLessThan(BUDGET);
    expect(pages.flat()).toEqual(beforeAll_);
  });
});
