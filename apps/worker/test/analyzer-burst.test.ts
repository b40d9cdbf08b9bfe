import { randomBytes } from "node:crypto";
import { forecastStartMs, parseAnalyzerSettings, planLifecycle } from "@shardcast/core";
import {
  getLifecycleSettings,
  listAnalyzerProposals,
  listOperations,
  listShardlets,
  loadRoutes,
  setStreamPredictiveMode,
  updateAnalyzerSettings,
  type ShardletInfo,
} from "@shardcast/db";
import { createQueue, type JobQueue } from "@shardcast/jobs";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runAnalyzer } from "../src/analyzer/run.ts";
import { runShardletSplit } from "../src/processors/shardlet-split.ts";
import { REDIS_URL, startLifecycleHarness, type LifecycleHarness } from "./lifecycle-harness.ts";
import { backdateShardlets, insertWriteRates } from "./analyzer-telemetry.ts";

/**
 * A burst builds up on one key range: its shardlet's write rate climbs toward the split write
 * rate while the others stay flat. The analyzer, forecasting from telemetry with the stock model,
 * proposes the split while the shardlet is still below its threshold (the reactive manager does
 * nothing yet); in act mode it queues the split, and the split runs.
 */
describe("analyzer: a burst on one key range", () => {
  let h: LifecycleHarness;
  let connection: Redis;
  let queue: JobQueue;
  let hot: ShardletInfo;
  let nowMs: number;
  const SPLIT_RATE = 200;
  /** Writes/s per history bucket of the hot shardlet: flat, then +12 events/s every 10 s. */
  const burst = [...new Array<number>(18).fill(20), ...Array.from({ length: 12 }, (_, j) => 20 + 12 * (j + 1))];

  beforeAll(async () => {
    h = await startLifecycleHarness({ hosts: 2, shardCount: 1, shardletsPerShard: 4, settings: { splitWriteRate: SPLIT_RATE } });
    connection = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
    queue = createQueue(connection, { prefix: `sc_an_${randomBytes(4).toString("hex")}` });
    await updateAnalyzerSettings(h.db, { bucketSec: 10, horizonSec: 120, historySteps: 30, telemetryLagSec: 0, period: 60 }, null);
    const shardlets = await listShardlets(h.db, { streamId: h.streamId });
    expect(shardlets).toHaveLength(4);
    hot = shardlets[1]!;
    // Real events in the hot range, so the split has rows to find its load median in.
    const events = Array.from({ length: 200 }, () => ({ key: h.keyIn(hot.lo, hot.hi), id: h.nextId() }));
    for (let i = 0; i < events.length; i += 50) await h.produce(events.slice(i, i + 50));
    nowMs = Date.now();
    await backdateShardlets(h.db, h.streamId, nowMs);
    const base = forecastStartMs(nowMs, parseAnalyzerSettings({ bucketSec: 10, horizonSec: 120, telemetryLagSec: 0 }));
    for (const s of shardlets) await insertWriteRates(h.db, { streamId: h.streamId, shardletId: s.id, endMs: base, bucketSec: 10, rates: s.id === hot.id ? burst : new Array<number>(30).fill(20) });
  });

  afterAll(async () => {
    await queue?.obliterate({ force: true }).catch(() => undefined);
    await queue?.close();
    connection?.disconnect();
    await h?.close();
  });

  it("proposes the split in forecast-only mode while the shardlet is below its threshold, and acts on nothing", async () => {
    const lastRate = burst[burst.length - 1]!;
    expect(lastRate).toBeLessThan(SPLIT_RATE);
    // The reactive manager, given the highest observed rate, sees nothing to split.
    const lifecycle = await getLifecycleSettings(h.db);
    const reactive = planLifecycle(
      (await listShardlets(h.db, { streamId: h.streamId })).map((s) => ({ ...s, writeRate: s.id === hot.id ? lastRate : 20 })),
      lifecycle,
      { busy: new Set() },
    );
    expect(reactive.actions).toEqual([]);

    const r = await runAnalyzer({ db: h.db, log: h.deps.log, clock: () => nowMs }, { queue, trigger: "manual" });
    expect(r.runId).not.toBeNull();
    expect(r.model).toBe("selection (default)");
    expect(r.shardlets).toBe(4);
    expect(r.points).toBe(4 * 12);
    expect(r.proposals).toEqual({ split: 1, migrate: 0, addHost: 0 });
    expect(r.acted.splits).toBe(0);

    const open = await listAnalyzerProposals(h.db, { status: "open", limit: 10 });
    expect(open).toHaveLength(1);
    const p = open[0]!;
    expect(p).toMatchObject({ kind: "split", shardletId: hot.id, streamId: h.streamId, sourceHostId: hot.hostId, status: "open" });
    // Predicted to pass 90% of 200 events/s within the 2-minute horizon, not yet passed.
    expect(p.urgencySec).toBeGreaterThan(0);
    expect(p.urgencySec).toBeLessThanOrEqual(120);
    expect(p.reason).toMatch(/forecast write rate reaches 180 events\/s/);
    expect(Number(p.details?.predictedPeak)).toBeGreaterThanOrEqual(180);
    // Forecast-only: nothing queued, no migration.
    expect(await queue.count()).toBe(0);
    expect(await h.db.migration.count()).toBe(0);
    expect(await h.db.forecastPoint.count({ where: { runId: r.runId! } })).toBe(48);
  });

  it("in act mode queues the split with the predicted overload as its reason, and the split runs", async () => {
    await setStreamPredictiveMode(h.db, h.streamId, "act");
    const before = await listAnalyzerProposals(h.db, { status: "open", limit: 10 });
    const r = await runAnalyzer({ db: h.db, log: h.deps.log, clock: () => nowMs }, { queue, trigger: "manual" });
    expect(r.proposals.split).toBe(1);
    // The forecast-only run's proposal is the same proposal: kept (same id) and acted on.
    expect(r.superseded).toBe(0);
    expect(r.acted.splits).toBe(1);

    const jobs = await queue.getJobs(["waiting", "prioritized", "delayed"]);
    expect(jobs).toHaveLength(1);
    const job = jobs[0]!;
    expect(job.name).toBe("shardlet.split");
    const data = job.data as { shardletId: string; reason: string; actor: string };
    expect(data.shardletId).toBe(hot.id);
    expect(data.reason).toMatch(/^predicted overload in \d+ s: forecast write rate reaches/);
    expect(data.actor).toBe("analyzer");

    const applied = await listAnalyzerProposals(h.db, { status: "applied", limit: 10 });
    expect(applied.map((p) => p.shardletId)).toEqual([hot.id]);
    expect(applied.map((p) => p.id)).toEqual(before.map((p) => p.id));
    expect((await listAnalyzerProposals(h.db, { status: "superseded", limit: 10 })).length).toBe(0);
    const ops = await listOperations(h.db, { limit: 10 });
    expect(ops.some((o) => o.kind === "analyzer.split" && o.shardletId === hot.id)).toBe(true);

    // The next run does not ask again while the split is pending.
    const again = await runAnalyzer({ db: h.db, log: h.deps.log, clock: () => nowMs }, { queue, trigger: "manual" });
    expect(again.proposals.split).toBe(0);
    expect(await queue.count()).toBe(1);

    const outcome = await runShardletSplit(h.deps, data);
    expect(outcome.status).toBe("done");
    const routes = await loadRoutes(h.db, h.streamId);
    expect(routes).toHaveLength(5);
    expect(routes.some((x) => x.id === hot.id)).toBe(false);
    const children = routes.filter((x) => x.lo >= hot.lo && x.hi <= hot.hi);
    expect(children).toHaveLength(2);
    expect(children.every((c) => c.hostId === hot.hostId)).toBe(true);
  });
});
