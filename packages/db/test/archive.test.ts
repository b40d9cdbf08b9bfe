import { keyHash } from "@shardcast/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { deleteRangeRows, digestsIn, HostDriver, readRangeRows, sourceDigests, writeCopiedRows } from "../src/index.ts";
import { createTestHostDb } from "../src/testing.ts";
import { event } from "./helpers.ts";

/**
 * The cold archive on a real host: archiving a range moves its payloads into compressed batches,
 * and every read, count, dedupe and migration step sees the same events as before; restoring
 * brings the rows back whole; a damaged batch is an error, never a wrong payload.
 */
describe("cold archive", () => {
  const streamId = "stream-archive";
  const HALF = 2 ** 31;
  const left = { streamId, lo: 0, hi: HALF };
  const right = { streamId, lo: HALF, hi: 2 ** 32 };
  let host: { dsn: string; drop: () => Promise<void> };
  let other: { dsn: string; drop: () => Promise<void> };
  let driver: HostDriver;
  let dest: HostDriver;
  const N = 1_500;
  const events = Array.from({ length: N }, (_, i) =>
    event(i + 1, `key-${i % 97}`, {
      id: `id-${i}`,
      type: i % 3 === 0 ? "order" : "view",
      keyHash: keyHash(`key-${i % 97}`),
      // Numbers whose text a parse-and-print round trip would change: the archive keeps the text.
      payload: { n: i, price: Number(`${i}.5`), note: `event number ${i} of the archive test`, nested: { tags: ["a", "b", i % 5] } },
    }),
  );
  // The exact text, so that 1.10 and an integer past 2^53 are stored as written.
  for (const e of events.slice(0, 20)) e.payloadJson = `{"price": 1.10, "big": 123456789012345678901, "seq": ${e.seq}}`;

  const everything = async () => (await driver.readByPosition({ streamId, afterSeq: 0, maxSeq: N, limit: N * 2 })).events;
  const ranges = () => driver.readRanges({ streamId, segments: [{ lo: 0, hi: HALF, after: 0 }, { lo: HALF, hi: 2 ** 32, after: 100 }], maxSeq: N, limit: N * 2, scanLimit: N * 2, fenceIds: [] });
  const copyRows = () => readRangeRows(driver, { ...left, afterSeq: 0, upToSeq: null, limit: N * 2 });
  const digests = async () => (await sourceDigests(driver, { ...left, afterSeq: 0, upToSeq: N, bucketRows: 100, maxRows: N * 2 })).buckets;
  const archiveAll = async (range: typeof left) => {
    const chunks = [];
    for (let c = await driver.archiveChunk({ ...range, storedBefore: Date.now() + 60_000, limit: 200 }); c; c = await driver.archiveChunk({ ...range, storedBefore: Date.now() + 60_000, limit: 200 })) chunks.push(c);
    return chunks;
  };
  const restoreAll = async (range: typeof left) => {
    let total = 0;
    for (let r = await driver.restoreChunk({ ...range, limit: 3 }); r.events > 0; r = await driver.restoreChunk({ ...range, limit: 3 })) total += r.events;
    return total;
  };
  let before: { all: unknown; ranges: unknown; key: unknown; copy: unknown; digests: unknown; recent: unknown };

  beforeAll(async () => {
    host = await createTestHostDb();
    other = await createTestHostDb();
    driver = new HostDriver(host.dsn, { poolSize: 3 });
    dest = new HostDriver(other.dsn, { poolSize: 2 });
    await driver.setFence("s-left", streamId, 1, "active", { lo: left.lo, hi: left.hi });
    await driver.setFence("s-right", streamId, 1, "active", { lo: right.lo, hi: right.hi });
    for (const part of [left, right]) {
      const mine = events.filter((e) => e.keyHash >= part.lo && e.keyHash < part.hi);
      await driver.fencedWrite({ streamId, shardletId: part === left ? "s-left" : "s-right", epoch: 1, events: mine });
    }
    before = {
      all: await everything(),
      ranges: await ranges(),
      key: await driver.readByKey({ streamId, key: "key-3", limit: 1_000 }),
      copy: await copyRows(),
      digests: await digests(),
      recent: await driver.recentEvents(streamId, 50),
    };
  });
  afterAll(async () => {
    await driver?.close();
    await dest?.close();
    await host?.drop();
    await other?.drop();
  });

  it("archives one range into compressed batches and every read returns the same events", async () => {
    const leftCount = events.filter((e) => e.keyHash < HALF).length;
    const chunks = await archiveAll(left);
    expect(chunks.reduce((n, c) => n + c.events, 0)).toBe(leftCount);
    expect(await driver.archivedInRanges(streamId, [left, right])).toEqual([
      { events: leftCount, bytes: events.filter((e) => e.keyHash < HALF).reduce((n, e) => n + e.sizeBytes, 0), maxSeq: Math.max(...events.filter((e) => e.keyHash < HALF).map((e) => e.seq)) },
      { events: 0, bytes: 0, maxSeq: null },
    ]);
    const cut = await driver.archiveCutSeq(streamId, Date.now() + 60_000);
    expect(cut).toBe(N);
    expect(await driver.archiveCutSeq(streamId, Date.now() - 3_600_000)).toBe(0);
    expect(await driver.archivableBytes({ ...left, afterSeq: 0, upToSeq: cut, storedBefore: Date.now() + 60_000, capRows: 10_000 })).toBe(0);
    expect(await driver.archivableBytes({ ...right, afterSeq: 0, upToSeq: cut, storedBefore: Date.now() + 60_000, capRows: 10_000 })).toBe(events.filter((e) => e.keyHash >= HALF).reduce((n, e) => n + e.sizeBytes, 0));
    expect(await driver.archivableBytes({ ...right, afterSeq: 1_000, upToSeq: cut, storedBefore: Date.now() + 60_000, capRows: 10_000 })).toBe(events.filter((e) => e.keyHash >= HALF && e.seq > 1_000).reduce((n, e) => n + e.sizeBytes, 0));
    const totals = await driver.archiveTotals(streamId);
    expect(totals.batches).toBe(chunks.length);
    expect(totals.storedBytes).toBeLessThan(totals.rawBytes / 2);

    expect(await everything()).toEqual(before.all);
    expect(await ranges()).toEqual(before.ranges);
    expect(await driver.readByKey({ streamId, key: "key-3", limit: 1_000 })).toEqual(before.key);
    expect(await driver.recentEvents(streamId, 50)).toEqual(before.recent);
    expect(await copyRows()).toEqual(before.copy);
    expect(await digests()).toEqual(before.digests);
    expect(await driver.countEvents(streamId)).toBe(N);
    // Nothing is left to archive, and a second pass changes nothing.
    expect(await driver.archiveChunk({ ...left, storedBefore: Date.now() + 60_000, limit: 200 })).toBeNull();
  });

  it("keeps producers' idempotency: a retried event of an archived range is a duplicate, not a second copy", async () => {
    const retried = events.find((e) => e.keyHash < HALF)!;
    const r = await driver.fencedWrite({ streamId, shardletId: "s-left", epoch: 1, events: [{ ...retried, seq: N + 1 }] });
    expect(r).toEqual({ ok: true, inserted: 0, duplicates: [{ index: 0, seq: retried.seq }], part: expect.any(Number) as number });
    expect(await driver.countEvents(streamId)).toBe(N);
  });

  it("copies an archived range to another host whole, and the migration's digests agree", async () => {
    await dest.setFence("s-left", streamId, 2, "shadow", { lo: left.lo, hi: left.hi });
    const rows = await copyRows();
    const w = await writeCopiedRows(dest, { streamId, shardletId: "s-left", epoch: 2, states: ["shadow"], rows });
    expect(w).toEqual({ accepted: true, inserted: rows.length });
    const src = await digests();
    expect(await digestsIn(dest, { ...left, ranges: src })).toEqual(src.map((b) => ({ rows: b.rows, digest: b.digest })));
    const { events: copied } = await dest.readByPosition({ streamId, afterSeq: 0, maxSeq: N, limit: N * 2 });
    expect(copied).toEqual((before.all as Array<{ key: string }>).filter((e) => keyHash(e.key) < HALF));
    expect((await dest.archiveTotals(streamId)).batches).toBe(0);
  });

  it("refuses to restore a payload that fails its checksum and leaves the row archived and readable", async () => {
    const victim = events.find((e) => e.keyHash < HALF)!;
    const real = await driver.withClient((c) => c.query<{ md5: string }>("SELECT payload_md5::text AS md5 FROM sc_events WHERE stream_id = $1 AND seq = $2", [streamId, victim.seq]));
    await driver.withClient((c) => c.query("UPDATE sc_events SET payload_md5 = md5('tampered')::uuid WHERE stream_id = $1 AND seq = $2", [streamId, victim.seq]));
    await expect(restoreAll(left)).rejects.toThrow(/do not match their rows' checksums/);
    const still = await driver.withClient((c) => c.query<{ archived: boolean }>("SELECT archive_batch IS NOT NULL AS archived FROM sc_events WHERE stream_id = $1 AND seq = $2", [streamId, victim.seq]));
    expect(still.rows[0]?.archived).toBe(true);
    expect(await everything()).toEqual(before.all);
    await driver.withClient((c) => c.query("UPDATE sc_events SET payload_md5 = $3::uuid WHERE stream_id = $1 AND seq = $2", [streamId, victim.seq, real.rows[0]!.md5]));
  });

  it("restores every row whole and drops the batches", async () => {
    await restoreAll(left);
    expect(await driver.archivedInRanges(streamId, [left, right])).toEqual([{ events: 0, bytes: 0, maxSeq: null }, { events: 0, bytes: 0, maxSeq: null }]);
    expect((await driver.archiveTotals(streamId)).batches).toBe(0);
    expect(await everything()).toEqual(before.all);
    expect(await copyRows()).toEqual(before.copy);
    expect(await digests()).toEqual(before.digests);
    const nullPayloads = await driver.withClient((c) => c.query<{ n: number }>("SELECT count(*)::int AS n FROM sc_events WHERE payload IS NULL OR payload_md5 IS NOT NULL"));
    expect(nullPayloads.rows[0]?.n).toBe(0);
  });

  it("drops the batches a moved range leaves behind once its rows are deleted", async () => {
    await archiveAll(right);
    expect((await driver.archiveTotals(streamId)).batches).toBeGreaterThan(0);
    expect(await driver.sweepArchive(streamId)).toBe(0); // every batch still has rows
    while ((await deleteRangeRows(driver, { ...right, limit: 500 })) > 0);
    expect(await driver.sweepArchive(streamId)).toBeGreaterThan(0);
    expect((await driver.archiveTotals(streamId)).batches).toBe(0);
    expect(await driver.countEvents(streamId)).toBe(events.filter((e) => e.keyHash < HALF).length);
  });

  it("finds the last position stored before a time with a binary search over positions", async () => {
    const left = events.filter((e) => e.keyHash < HALF);
    const old = left.filter((e) => e.seq <= 700);
    await driver.withClient((c) => c.query("UPDATE sc_events SET stored_at = now() - interval '2 hours' WHERE stream_id = $1 AND seq <= 700", [streamId]));
    expect(await driver.archiveCutSeq(streamId, Date.now() - 3_600_000)).toBe(Math.max(...old.map((e) => e.seq)));
    expect(await driver.archiveCutSeq(streamId, Date.now() - 3 * 3_600_000)).toBe(0);
  });
});
