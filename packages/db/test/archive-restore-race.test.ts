import type pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { deleteRangeRows, HostDriver } from "../src/index.ts";
import { restoreChunk } from "../src/host/archive.ts";
import type { HostRun } from "../src/host/types.ts";
import { createTestHostDb } from "../src/testing.ts";
import { event } from "./helpers.ts";

/**
 * restoreChunk lists a range's batches in one statement and reads each batch in another. A batch
 * that is gone in between because nothing needs it any more (another restore of the range
 * restored its rows and dropped it, or a migration's cleanup deleted the rows and swept it) leaves
 * nothing to restore: that is not a damaged archive, and the restore must not fail with
 * "archive batch ... is missing".
 */
describe("restoreChunk racing another restore or a cleanup", () => {
  const streamId = "stream-restore-race";
  const FULL = { streamId, lo: 0, hi: 2 ** 32 };
  let host: { dsn: string; drop: () => Promise<void> };
  let driver: HostDriver;
  let pool: pg.Pool;

  const archiveAll = async () => {
    for (let c = await driver.archiveChunk({ ...FULL, storedBefore: Date.now() + 60_000, limit: 10 }); c; ) {
      c = await driver.archiveChunk({ ...FULL, storedBefore: Date.now() + 60_000, limit: 10, afterSeq: c.lastSeq });
    }
  };
  /** A HostRun that lets `between` run right after the batches of the range were listed. */
  const runWith = (between: () => Promise<void>): HostRun => {
    let done = false;
    return async (what, config) => {
      const res = await pool.query(config);
      if (what === "archive batches of range" && !done) {
        done = true;
        await between();
      }
      return res as never;
    };
  };

  beforeAll(async () => {
    host = await createTestHostDb();
    driver = new HostDriver(host.dsn, { poolSize: 3 });
    const { default: pgm } = await import("pg");
    pool = new pgm.Pool({ connectionString: host.dsn, max: 2 });
    await driver.setFence("s", streamId, 1, "active", { lo: 0, hi: 2 ** 32 });
    await driver.fencedWrite({ streamId, shardletId: "s", epoch: 1, events: Array.from({ length: 40 }, (_, i) => event(i + 1, `k-${i}`, { keyHash: i * 1000 })) });
  });
  afterAll(async () => {
    await pool?.end();
    await driver?.close();
    await host?.drop();
  });

  it("a concurrent restore of the same range", async () => {
    await archiveAll();
    const other = async () => {
      let r;
      do r = await driver.restoreChunk({ ...FULL, limit: 100 });
      while (r.events > 0);
    };
    await expect(restoreChunk(runWith(other), { ...FULL, limit: 4 })).resolves.toBeDefined();
    expect((await driver.archivedInRanges(streamId, [FULL]))[0]!.events).toBe(0);
  });

  it("a migration's cleanup of the range", async () => {
    await archiveAll();
    const cleanup = async () => {
      while ((await deleteRangeRows(driver, { ...FULL, limit: 500 })) > 0);
      await driver.sweepArchive(streamId);
    };
    await expect(restoreChunk(runWith(cleanup), { ...FULL, limit: 4 })).resolves.toEqual({ events: 0, batches: 0 });
  });
});
