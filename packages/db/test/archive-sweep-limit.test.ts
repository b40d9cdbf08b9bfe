import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { deleteRangeRows, HostDriver } from "../src/index.ts";
import { createTestHostDb } from "../src/testing.ts";
import { event } from "./helpers.ts";

/**
 * A migration's cleanup deletes the moved range's rows on the source and then calls
 * `sweepArchive` once (apps/worker/src/migration/finish.ts). The batches the range leaves behind
 * must all go, however many there are: a source that keeps no other shardlet of the stream is
 * never swept again by the placement run (it only visits hosts with live shardlets of the stream).
 */
describe("sweepArchive after a moved range", () => {
  const streamId = "stream-sweep";
  let host: { dsn: string; drop: () => Promise<void> };
  let driver: HostDriver;
  const N = 1_050;

  beforeAll(async () => {
    host = await createTestHostDb();
    driver = new HostDriver(host.dsn, { poolSize: 2 });
    await driver.setFence("s", streamId, 1, "active", { lo: 0, hi: 2 ** 32 });
    await driver.fencedWrite({ streamId, shardletId: "s", epoch: 1, events: Array.from({ length: N }, (_, i) => event(i + 1, `k-${i}`, { keyHash: i * 1000 })) });
  });
  afterAll(async () => {
    await driver?.close();
    await host?.drop();
  });

  it("one sweep drops every batch that no row references any more", async () => {
    // One row per batch: more batches than one sweep statement takes.
    for (let c = await driver.archiveChunk({ streamId, lo: 0, hi: 2 ** 32, storedBefore: Date.now() + 60_000, limit: 1 }); c; ) {
      c = await driver.archiveChunk({ streamId, lo: 0, hi: 2 ** 32, storedBefore: Date.now() + 60_000, limit: 1, afterSeq: c.lastSeq });
    }
    expect((await driver.archiveTotals(streamId)).batches).toBe(N);
    while ((await deleteRangeRows(driver, { streamId, lo: 0, hi: 2 ** 32, limit: 500 })) > 0);
    expect(await driver.countEvents(streamId)).toBe(0);
    // What the migration's cleanup does: one call.
    await driver.sweepArchive(streamId);
    expect((await driver.archiveTotals(streamId)).batches).toBe(0);
  });
});
