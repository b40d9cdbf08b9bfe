import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { closePreallocation, listOpenPreallocations, recordPreallocation, type ControlDb, type PreallocDetails } from "../src/index.ts";
import { createTestControlDb } from "../src/testing.ts";

/** Opening a pre-allocation: at most one open per shardlet, however many runs try at once. */

const details: PreallocDetails = { stage: "preparing", probability: 0.9, cause: "campaign_started", splitAt: 10, cuts: [10], preparedAtMs: 0, releaseAtMs: 60_000, reason: "test" };

describe("recordPreallocation", () => {
  let control: Awaited<ReturnType<typeof createTestControlDb>>;
  let db: ControlDb;
  beforeAll(async () => {
    control = await createTestControlDb();
    db = control.db;
  });
  afterAll(async () => {
    await control?.drop();
  });
  beforeEach(async () => {
    await db.operation.deleteMany({});
  });

  it("opens one pre-allocation per shardlet when several runs record it at once", async () => {
    const tries = await Promise.all(Array.from({ length: 6 }, () => recordPreallocation(db, { streamId: "st-1", shardletId: "s-1", message: "pre-allocation", details })));
    expect(tries.filter((t) => t.created)).toHaveLength(1);
    const open = await listOpenPreallocations(db, "st-1");
    expect(open).toHaveLength(1);
    expect(new Set(tries.map((t) => t.id))).toEqual(new Set([open[0]!.id]));
    // Another stream's shardlet, or another shardlet, is not held back.
    expect((await recordPreallocation(db, { streamId: "st-2", shardletId: "s-1", message: "pre-allocation", details })).created).toBe(true);
    expect((await recordPreallocation(db, { streamId: "st-1", shardletId: "s-2", message: "pre-allocation", details })).created).toBe(true);
  });

  it("refuses a part of an open pre-allocation, and opens again once it is closed", async () => {
    const first = await recordPreallocation(db, { streamId: "st-1", shardletId: "s-1", message: "pre-allocation", details: { ...details, stage: "prepared", childIds: ["s-a", "s-hot"], hotChildId: "s-hot" } });
    const part = await recordPreallocation(db, { streamId: "st-1", shardletId: "s-hot", message: "pre-allocation", details });
    expect(part).toEqual({ id: first.id, created: false });
    await closePreallocation(db, first.id, { ...details, outcome: "released" }, "released");
    expect((await recordPreallocation(db, { streamId: "st-1", shardletId: "s-1", message: "pre-allocation", details })).created).toBe(true);
  });
});
