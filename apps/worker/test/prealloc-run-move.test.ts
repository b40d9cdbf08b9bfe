import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { keyHash } from "@shardcast/core";
import { listPreallocations, updateMigrationSettings } from "@shardcast/db";
import type { WorkerDeps } from "../src/deps.ts";
import { runMigration } from "../src/migration/machine.ts";
import { runPrealloc } from "../src/prealloc/run.ts";
import { announce, exactlyOnce, scenario, type Scenario } from "./prealloc-scenario.ts";

/**
 * Pre-allocation onto another host: the prepared part moves to the host with headroom, and home
 * again before a false alarm's parts merge.
 */

describe("prealloc.run when the shardlet's host cannot take the surge", () => {
  let s: Scenario;
  beforeAll(async () => {
    s = await scenario(0.5);
    // Copies, switches and cleans up at once: what is tested is where the part goes, not the mover's pacing.
    await updateMigrationSettings(s.h.db, { rowsPerSecond: 0, cleanupGraceMs: 0 }, null);
  }, 120_000);
  afterAll(async () => {
    await s?.close();
  });

  /** Runs a migration to its end in this process (the scheduler would queue the same runs). */
  async function migrate(id: string) {
    for (let i = 0; i < 20; i++) {
      const r = await runMigration(s.h.deps, id);
      if (r.status !== "paused" && r.status !== "busy") return r;
    }
    throw new Error(`migration ${id} did not finish`);
  }

  it("moves the prepared part to the host with headroom, and moves it back before a false alarm's parts merge", { timeout: 120_000 }, async () => {
    const key = "t5:campaign-777";
    const original = (await s.table()).lookup(keyHash(key));
    const other = s.h.hostIds.find((id) => id !== original.hostId)!;
    // The shardlet's host is full (a capacity far below the predicted surge); the other has room.
    // Tests may set a host's capacity directly: no product flow lowers it.
    await s.h.db.host.update({ where: { id: original.hostId }, data: { capacityEventsPerSec: 1 } });
    await announce(s, key, "m");
    const r = await runPrealloc(s.h.deps, { redis: s.h.redis, prefix: s.h.prefix });
    const mine = r.decisions.find((d) => d.shardletId === original.id);
    expect(mine, JSON.stringify(r.decisions)).toMatchObject({ prepare: true, action: "split_move", destinationId: other });
    expect(r.prepared).toHaveLength(1);
    const [p] = await listPreallocations(s.h.db, { limit: 1, streamId: s.h.streamId });
    expect(p!.details).toMatchObject({ stage: "prepared", destHostId: other });
    const moveId = p!.details.moveMigrationId!;
    expect(moveId).toBeTruthy();
    // Writes keep coming while the part moves: the mover shadows them to the destination.
    await s.send([...Array.from({ length: 20 }, (_, i) => ({ key, id: `m-during-${i}`, type: "page_view" })), ...s.background(20)]);
    expect(await migrate(moveId)).toMatchObject({ status: "done" });
    const hot = (await s.table()).lookup(keyHash(key));
    expect(hot.id).toBe(p!.details.hotChildId);
    expect(hot.hostId).toBe(other);

    // No surge comes: past the horizon and grace the part is moved home first, then merged back.
    const later: WorkerDeps = { ...s.h.deps, clock: () => Date.now() + 30 * 60_000 };
    const first = await runPrealloc(later, { redis: s.h.redis, prefix: s.h.prefix });
    expect(first.released).toEqual([]);
    const [waiting] = await listPreallocations(s.h.db, { limit: 1, streamId: s.h.streamId });
    const back = waiting!.details.returnMigrationId!;
    expect(back).toBeTruthy();
    expect(await migrate(back)).toMatchObject({ status: "done" });
    const settled = await runPrealloc(later, { redis: s.h.redis, prefix: s.h.prefix });
    expect(settled.released).toEqual([p!.id]);
    const merged = (await s.table()).lookup(keyHash(key));
    expect([merged.lo, merged.hi, merged.hostId]).toEqual([original.lo, original.hi, original.hostId]);
    await exactlyOnce(s);
  });
});
