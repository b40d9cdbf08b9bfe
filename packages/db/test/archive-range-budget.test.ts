import { createHash, randomBytes } from "node:crypto";
import type * as Zlib from "node:zlib";
import { keyHash, type StoredEvent } from "@shardcast/core";
import type pg from "pg";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { readRanges, type RangeSegment } from "../src/host/range-reads.ts";
import type { HostRun } from "../src/host/types.ts";
import { HostDriver } from "../src/index.ts";
import { createTestHostDb } from "../src/testing.ts";
import { event } from "./helpers.ts";

/** Batches unpacked: each one is gunzipped once per read that keeps any of its payloads. */
const unpacked = vi.hoisted(() => ({ count: 0 }));
vi.mock("node:zlib", async (importOriginal) => {
  const zlib = await importOriginal<typeof Zlib>();
  const gunzip = (...args: Parameters<typeof zlib.gunzip>) => {
    unpacked.count++;
    return zlib.gunzip(...args);
  };
  return { ...zlib, default: { ...zlib, gunzip }, gunzip };
});

/**
 * A consumer's range read over archived events pays for the batches it returns, as reads by position
 * and key do: each batch its kept rows point at comes back whole, so its compressed size counts
 * toward the page's byte budget (once per batch), and only the batches of the rows the page keeps are
 * unpacked. Events still only in the overflow log, each over the budget, cut that table's part of
 * every page short of the events table's, so pages also end before archived rows they pulled.
 * Going on from each page returns every event of the ranges exactly once.
 */

const BATCHES = 20;
const PER_BATCH = 50;
const N = BATCHES * PER_BATCH + BATCHES;
const BUDGET = 64 * 1024;
const HALF = 2 ** 31;
const streamId = "stream-archive-range-budget";
const segments: RangeSegment[] = [
  { lo: 0, hi: HALF, after: 0 },
  { lo: HALF, hi: 2 ** 32, after: 100 },
];

const all = Array.from({ length: N }, (_, i) => {
  const seq = i + 1;
  const key = `key-${seq}`;
  // One event in 51 is still only in the overflow log, its payload larger than a page's budget.
  const blob = randomBytes(seq % (PER_BATCH + 1) === 25 ? BUDGET : 600).toString("hex");
  return event(seq, key, { id: `e-${seq}`, keyHash: keyHash(key), payload: { seq, blob } });
});
const overflowOnly = all.filter((e) => e.seq % (PER_BATCH + 1) === 25);
const stored = all.filter((e) => e.seq % (PER_BATCH + 1) !== 25);
const wanted = all.filter((e) => segments.some((s) => e.keyHash >= s.lo && e.keyHash < s.hi && e.seq > s.after));

const checksum = (ids: ReadonlyArray<string | null>) => createHash("sha256").update([...ids].sort().join("\n")).digest("hex");

describe("range reads of archived events bounded by the batches they return", () => {
  let host: { dsn: string; drop: () => Promise<void> };
  let driver: HostDriver;
  /** Compressed size of each batch. */
  const batchBytes = new Map<number, number>();
  /** Batch of each archived position. */
  const batchOf = new Map<number, number>();

  /** The rows a read's statement answered with: what it pulled from the host. */
  let answered: Array<{ kind: string | null; seq: string | null; archive_batch: string | null; blob: Buffer | null }> = [];
  const run: HostRun = async <R extends pg.QueryResultRow>(_what: string, config: pg.QueryConfig) => {
    const res = await driver.withClient((c) => c.query<R>(config));
    answered = res.rows as unknown as typeof answered;
    return res;
  };

  beforeAll(async () => {
    host = await createTestHostDb();
    driver = new HostDriver(host.dsn, { poolSize: 2 });
    await driver.setFence("s", streamId, 1, "active", { lo: 0, hi: 2 ** 32 });
    for (let i = 0; i < stored.length; i += 200) await driver.fencedWrite({ streamId, shardletId: "s", epoch: 1, events: stored.slice(i, i + 200) });
    await driver.appendOverflow({ streamId, parts: [{ shardId: "shard-0", shardletId: "s", events: overflowOnly }] });
    const range = { streamId, lo: 0, hi: 2 ** 32, storedBefore: Date.now() + 60_000, limit: PER_BATCH };
    for (let c = await driver.archiveChunk(range); c; c = await driver.archiveChunk(range));
    const rows = await driver.withClient((c) =>
      c.query<{ seq: string; batch: string; blob_bytes: number }>(
        `SELECT e.seq, e.archive_batch AS batch, octet_length(a.blob) AS blob_bytes
         FROM sc_events e JOIN sc_archive a ON a.batch_id = e.archive_batch WHERE e.stream_id = $1`,
        [streamId],
      ),
    );
    for (const r of rows.rows) {
      batchOf.set(Number(r.seq), Number(r.batch));
      batchBytes.set(Number(r.batch), r.blob_bytes);
    }
  }, 60_000);

  afterAll(async () => {
    await driver?.close();
    await host?.drop();
  });

  it("archives every stored event into batches larger than a page's share of them", () => {
    expect(batchOf.size).toBe(stored.length);
    expect(batchBytes.size).toBe(BATCHES);
    expect(Math.min(...batchBytes.values())).toBeGreaterThan(BUDGET / 4);
  });

  it("pulls and unpacks only the batches its page needs, and the pages together hold every event once", async () => {
    const events: StoredEvent[] = [];
    let after = 0;
    let pages = 0;
    /** Pages that pulled a batch of rows past their end (the overflow log's part ended first). */
    let pulledPastEnd = 0;
    for (; pages < 500 && after < N; pages++) {
      unpacked.count = 0;
      const page = await readRanges(run, { streamId, segments: segments.map((s) => ({ ...s, after: Math.max(s.after, after) })), maxSeq: N, limit: 2 * N, maxBytes: BUDGET, scanLimit: 2 * N, fenceIds: [] });
      expect(page.completeTo).toBeGreaterThan(after);

      // What the events table's part pulled before its last row stays under the budget: the rows'
      // bytes and each batch they point at, once. The last row is the one allowed past it.
      const rows = answered.filter((r) => r.kind === "e");
      const pulled = answered.filter((r) => r.blob !== null).map((r) => Number(r.archive_batch));
      expect(new Set(pulled).size).toBe(pulled.length);
      expect(new Set(pulled)).toEqual(new Set(rows.map((r) => Number(r.archive_batch))));
      const seen = new Set<number>();
      let bytes = 0;
      for (const r of rows.slice(0, -1)) {
        const seq = Number(r.seq);
        bytes += stored.find((e) => e.seq === seq)!.sizeBytes;
        if (!seen.has(batchOf.get(seq)!)) bytes += batchBytes.get(batchOf.get(seq)!)!;
        seen.add(batchOf.get(seq)!);
      }
      expect(bytes).toBeLessThan(BUDGET);

      // Only the batches of the archived events the page keeps are unpacked.
      const kept = new Set(page.events.filter((e) => batchOf.has(e.seq)).map((e) => batchOf.get(e.seq)!));
      expect(unpacked.count).toBe(kept.size);
      if (pulled.some((b) => !kept.has(b))) pulledPastEnd++;
      for (const e of page.events) expect((e.payload as { seq: number }).seq).toBe(e.seq);
      events.push(...page.events);
      after = page.completeTo;
    }
    expect(after).toBe(N);
    expect(pages).toBeGreaterThan(BATCHES);
    expect(pulledPastEnd).toBeGreaterThan(0);
    expect(events).toHaveLength(wanted.length);
    expect(new Set(events.map((e) => e.seq)).size).toBe(wanted.length);
    expect(checksum(events.map((e) => e.id))).toBe(checksum(wanted.map((e) => e.id)));
  }, 60_000);
});
