import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { HostDriver } from "../src/index.ts";
import { createTestHostDb } from "../src/testing.ts";
import { event } from "./helpers.ts";

/**
 * A read never returns a null payload: an archived row whose batch cannot be found is an error
 * (as it is when the read's other batches lack the row), not an event without its payload.
 */
describe("archived row without its batch", () => {
  const streamId = "stream-missing-batch";
  let host: { dsn: string; drop: () => Promise<void> };
  let driver: HostDriver;

  beforeAll(async () => {
    host = await createTestHostDb();
    driver = new HostDriver(host.dsn, { poolSize: 2 });
    await driver.setFence("s", streamId, 1, "active", { lo: 0, hi: 2 ** 32 });
    await driver.fencedWrite({ streamId, shardletId: "s", epoch: 1, events: Array.from({ length: 20 }, (_, i) => event(i + 1, `k-${i}`, { keyHash: i * 1000 })) });
    await driver.archiveChunk({ streamId, lo: 0, hi: 2 ** 32, storedBefore: Date.now() + 60_000, limit: 100 });
    // The batch is lost (nothing ties sc_events.archive_batch to sc_archive).
    await driver.withClient((c) => c.query("DELETE FROM sc_archive WHERE stream_id = $1", [streamId]));
  });
  afterAll(async () => {
    await driver?.close();
    await host?.drop();
  });

  it("read by position fails instead of returning null payloads", async () => {
    await expect(driver.readByPosition({ streamId, afterSeq: 0, maxSeq: 20, limit: 100 })).rejects.toThrow(/archive batch/);
  });

  it("range read fails instead of returning null payloads", async () => {
    await expect(driver.readRanges({ streamId, segments: [{ lo: 0, hi: 2 ** 32, after: 0 }], maxSeq: 20, limit: 100, scanLimit: 100, fenceIds: [] })).rejects.toThrow(/archive batch/);
  });
});
