import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { keyHash } from "@shardcast/core";
import { closePreallocation, listOpenPreallocShadows, listOperations, listSettledPredictions, PREALLOC_RUN_KIND, recordPreallocation } from "@shardcast/db";
import { runPrealloc } from "../src/prealloc/run.ts";
import { runShardletAccounting } from "../src/processors/shardlet-accounting.ts";
import { announce, exactlyOnce, publishPrediction, scenario, type Scenario } from "./prealloc-scenario.ts";

/**
 * The skill gate with a real edge, PostgreSQL and Redis: a stream whose pre-allocations were all
 * wasted gets none (only a shadow, scored on the range's measured writes), and the gate opens again
 * once a shadow's surge came.
 */
describe("prealloc.run skill gate", () => {
  let s: Scenario;
  beforeAll(async () => {
    s = await scenario(0.5);
  }, 120_000);
  afterAll(async () => {
    await s?.close();
  });

  const run = () => runPrealloc(s.h.deps, { redis: s.h.redis, prefix: s.h.prefix });
  const KEY = "t2:campaign-77";

  it("prepares nothing for a stream whose predictions did not pay, and scores what it held back", { timeout: 120_000 }, async () => {
    // Four pre-allocations released unused: nothing saved, a little spent.
    for (let i = 0; i < 4; i++) {
      const { id } = await recordPreallocation(s.h.db, {
        streamId: s.h.streamId,
        shardletId: `wasted-${i}`,
        message: "seeded",
        details: { stage: "prepared", probability: 0.9, cause: "campaign_started", splitAt: null, preparedAtMs: 0, releaseAtMs: 0, reason: "seeded", fallbacksIfReactive: 500, cost: 0.001 },
      });
      await closePreallocation(s.h.db, id, { stage: "prepared", outcome: "released", probability: 0.9, cause: "campaign_started", splitAt: null, preparedAtMs: 0, releaseAtMs: 0, reason: "seeded", fallbacksIfReactive: 500, cost: 0.001 }, "released");
    }
    const before = await s.table();
    const target = before.lookup(keyHash(KEY));
    await announce(s, KEY, "g");
    await publishPrediction(s, target.id, KEY);

    const r = await run();
    expect(r.prepared).toEqual([]);
    expect(r.gates[s.h.streamId]).toMatchObject({ open: false, settled: 4, hits: 0 });
    const decision = r.decisions.find((d) => d.shardletId === target.id);
    expect(decision?.reason).toMatch(/skill gate closed/);
    expect(r.shadows.opened).toBe(1);
    // Exactly the reactive twin: the layout is untouched.
    expect((await s.table()).all().map((x) => x.id)).toEqual(before.all().map((x) => x.id));
    const [shadow] = await listOpenPreallocShadows(s.h.db, s.h.streamId);
    expect(shadow).toMatchObject({ shardletId: target.id, details: { range: [target.lo, target.hi], peakPerSec: 0 } });
    // A second run neither prepares nor opens a second shadow for the shardlet.
    const again = await run();
    expect(again.prepared).toEqual([]);
    expect(again.shadows.opened).toBe(0);
    const [log] = await listOperations(s.h.db, { limit: 1, kind: PREALLOC_RUN_KIND });
    expect(log?.message).toMatch(/skill gate shadows: 1 opened/);
  });

  it("a shadow whose surge came counts as a hit, and the gate opens again: the prediction is prepared", { timeout: 120_000 }, async () => {
    let i = 0;
    await runShardletAccounting(s.h.deps);
    const t0 = Date.now();
    // The surge: more than a second of it, so the accounting measures its rate over a full window.
    while (Date.now() - t0 < 1_200) await s.send([...Array.from({ length: 100 }, () => ({ key: KEY, id: `surge-${i++}`, type: "order_placed" })), ...s.background(5)]);
    await runShardletAccounting(s.h.deps);
    // The prediction stands (published again, as the edge keeps publishing it).
    const target = (await s.table()).lookup(keyHash(KEY));
    await publishPrediction(s, target.id, KEY);

    const r = await run();
    expect(r.shadows).toMatchObject({ hits: 1, released: 0 });
    expect(await listOpenPreallocShadows(s.h.db, s.h.streamId)).toEqual([]);
    const [newest] = await listSettledPredictions(s.h.db, s.h.streamId, 12);
    expect(newest).toMatchObject({ hit: true, shadow: true });
    // Settled first, weighed after: the same run prepares the prediction.
    expect(r.gates[s.h.streamId], JSON.stringify(r.decisions)).toMatchObject({ open: true, hits: 1, settled: 5 });
    expect(r.prepared, JSON.stringify(r.decisions)).toHaveLength(1);
    expect((await s.table()).lookup(keyHash(KEY)).id).not.toBe(target.id);
    await exactlyOnce(s);
  });
});
