import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { keyHash } from "@shardcast/core";
import { listOpenPreallocations, listPreallocations, updateMigrationSettings } from "@shardcast/db";
import type { WorkerDeps } from "../src/deps.ts";
import { runPrealloc } from "../src/prealloc/run.ts";
import { runShardletSplit } from "../src/processors/shardlet-split.ts";
import { announce, exactlyOnce, publishPrediction, scenario, type Scenario } from "./prealloc-scenario.ts";

/**
 * What keeps pre-allocations from stepping on each other and on other jobs: runs that overlap, a
 * shardlet's op-lock held by another job, a worker dying between the cuts and the move, predictions
 * for a prepared part, and a release after other jobs split parts of the range.
 */

describe("prealloc.run guards", () => {
  let s: Scenario;
  beforeAll(async () => {
    s = await scenario(0.5);
    await updateMigrationSettings(s.h.db, { rowsPerSecond: 0, cleanupGraceMs: 0 }, null);
  }, 120_000);
  afterAll(async () => {
    await s?.close();
  });

  /** Publishes a confident prediction for `shardletId` after an announcement on `key` (the model's own figures when it has them). */
  async function predict(shardletId: string, key: string, tag: string) {
    await announce(s, key, tag);
    await publishPrediction(s, shardletId, key);
  }

  const run = (deps: WorkerDeps = s.h.deps) => runPrealloc(deps, { redis: s.h.redis, prefix: s.h.prefix });
  const later: () => WorkerDeps = () => ({ ...s.h.deps, clock: () => Date.now() + 30 * 60_000 });

  it("a shardlet's op-lock held by another job does not abort the run; the next run finishes the preparation", { timeout: 120_000 }, async () => {
    const key = "t3:campaign-4242";
    const original = (await s.table()).lookup(keyHash(key));
    await predict(original.id, key, "l");
    const r = await s.h.opLocks.withOpLock(original.id, () => run());
    expect(r.prepared).toEqual([]);
    const [open] = await listOpenPreallocations(s.h.db, s.h.streamId);
    expect(open).toMatchObject({ shardletId: original.id, details: { stage: "preparing" } });
    const resumed = await run();
    expect(resumed.resumed).toEqual([open!.id]);
    expect(resumed.prepared).toEqual([]);
    const settled = await run(later());
    expect(settled.released).toEqual([open!.id]);
    await exactlyOnce(s);
  });

  it("two runs at once prepare a shardlet once", { timeout: 120_000 }, async () => {
    const key = "t6:campaign-1111";
    const original = (await s.table()).lookup(keyHash(key));
    await predict(original.id, key, "o");
    const runs = await Promise.allSettled([run(), run(), run()]);
    expect(runs.map((r) => r.status)).toEqual(["fulfilled", "fulfilled", "fulfilled"]);
    const prepared = runs.flatMap((r) => (r.status === "fulfilled" ? r.value.prepared : []));
    expect(prepared).toHaveLength(1);
    const open = await listOpenPreallocations(s.h.db, s.h.streamId);
    expect(open.map((p) => p.id)).toEqual(prepared);
  });

  it("a prediction for the prepared hot part is already prepared for; a release merges only its own parts", { timeout: 120_000 }, async () => {
    const [p] = await listOpenPreallocations(s.h.db, s.h.streamId);
    const d = p!.details;
    const key = "t6:campaign-1111";
    await predict(d.hotChildId!, key, "h");
    const r = await run();
    expect(r.decisions.find((x) => x.shardletId === d.hotChildId), JSON.stringify(r.decisions)).toMatchObject({ prepare: false, reason: "already prepared" });
    // The reactive manager splits a part of the range meanwhile: the release leaves its cut.
    const table = await s.table();
    const other = d.childIds!.map((id) => table.byId(id)!).find((x) => x.id !== d.hotChildId && x.hi - x.lo >= 4 * 2 ** 16)!;
    const cut = other.lo + Math.floor((other.hi - other.lo) / 2);
    expect(await runShardletSplit(s.h.deps, { shardletId: other.id, reason: "reactive split", splitAt: cut })).toMatchObject({ status: "done" });
    const settled = await run(later());
    expect(settled.released).toEqual([p!.id]);
    expect((await s.table()).lookup(cut).lo).toBe(cut);
    await exactlyOnce(s);
  });

  it("a worker that dies after the cuts, before the move: the next run makes the move", { timeout: 120_000 }, async () => {
    const key = "t8:campaign-5150";
    const original = (await s.table()).lookup(keyHash(key));
    const dest = s.h.hostIds.find((id) => id !== original.hostId)!;
    // Tests may set a host's capacity directly: no product flow lowers it.
    await s.h.db.host.update({ where: { id: original.hostId }, data: { capacityEventsPerSec: 1 } });
    await predict(original.id, key, "c");
    let crashed = false;
    const dying: WorkerDeps = {
      ...s.h.deps,
      lifecycle: {
        hooks: {
          afterPhase: (phase) => {
            if (phase === "done" && !crashed) {
              crashed = true;
              throw new Error("injected crash");
            }
          },
        },
      },
    };
    await expect(run(dying)).rejects.toThrow(/injected crash/);
    const [half] = await listPreallocations(s.h.db, { limit: 1, streamId: s.h.streamId });
    expect(half).toMatchObject({ status: "running", details: { stage: "preparing", destHostId: dest } });
    const r = await run();
    expect(r.resumed).toEqual([half!.id]);
    const [done] = await listPreallocations(s.h.db, { limit: 1, streamId: s.h.streamId });
    expect(done!.details).toMatchObject({ stage: "prepared", destHostId: dest });
    expect(done!.details.moveMigrationId).toBeTruthy();
    const migration = await s.h.db.migration.findUnique({ where: { id: done!.details.moveMigrationId! } });
    expect(migration).toMatchObject({ shardletId: done!.details.hotChildId, destHostId: dest });
  });
});
