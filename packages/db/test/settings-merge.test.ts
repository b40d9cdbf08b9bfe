import { LIFECYCLE_SETTINGS_KEY, ShardcastError } from "@shardcast/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { getLifecycleSettings, getSettings, listSettingAudit, updateLifecycleSettings, type ControlDb } from "../src/index.ts";
import { createTestControlDb } from "../src/testing.ts";

/**
 * The storage-side settings updates (what seeding, scripts and workers call) merge inside the
 * key's lock, like the console's saves: partial updates of different fields made at the same time
 * all take, and an invalid one stores nothing.
 */
describe("settings updates in the control database", () => {
  let control: { db: ControlDb; drop: () => Promise<void> };

  beforeAll(async () => {
    control = await createTestControlDb();
  });
  afterAll(async () => {
    await control?.drop();
  });

  it("keep every field of partial updates made at the same time", async () => {
    const db = control.db;
    const updates = [{ splitWriteRate: 700 }, { mergeWriteRate: 3 }, { maxShardletsPerStream: 99 }, { initialCapacityBytes: 8 * 1024 * 1024 }, { enabled: false }];
    // Several rounds: one round may happen to run the updates one after another.
    for (let round = 0; round < 3; round++) {
      await Promise.all(updates.map((u) => updateLifecycleSettings(db, u, { email: `round-${round}@example.com` })));
    }
    expect(await getLifecycleSettings(db)).toMatchObject({ splitWriteRate: 700, mergeWriteRate: 3, maxShardletsPerStream: 99, initialCapacityBytes: 8 * 1024 * 1024, enabled: false });
    expect(await listSettingAudit(db, { limit: 100, key: LIFECYCLE_SETTINGS_KEY })).toHaveLength(15);
  });

  it("refuse an invalid merged value with the field's message and store nothing", async () => {
    const db = control.db;
    const before = (await getSettings(db))[LIFECYCLE_SETTINGS_KEY];
    const err = await updateLifecycleSettings(db, { splitThreshold: 0.3, mergeThreshold: 0.2 }, null).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ShardcastError);
    expect((err as ShardcastError).code).toBe("validation_failed");
    expect((err as ShardcastError).details?.rejected).toEqual([{ index: 0, path: "mergeThreshold", message: expect.stringMatching(/^mergeThreshold: merge threshold must be less than half/) as string }]);
    expect((await getSettings(db))[LIFECYCLE_SETTINGS_KEY]).toEqual(before);
  });
});
