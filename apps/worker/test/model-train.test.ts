import { randomBytes } from "node:crypto";
import {
  createModelVersion,
  failModelVersion,
  getActiveModelVersion,
  getModelVersion,
  listModelVersions,
  listOperations,
  promoteModelVersion,
  type ModelVersionInfo,
} from "@shardcast/db";
import { createTestCluster, type TestCluster } from "@shardcast/db/testing";
import { createQueueEvents, enqueue, scheduleRepeating, unscheduleRepeating } from "@shardcast/jobs";
import type { LstmConfig } from "@shardcast/models";
import { createLogger } from "@shardcast/runtime/logger";
import { testRedisUrl } from "@shardcast/runtime/testing/env";
import type { QueueEvents } from "bullmq";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { WorkerDeps } from "../src/deps.ts";
import { runModelTraining, type TrainingConfig } from "../src/training/run.ts";
import { startWorker, type RunningWorker } from "../src/worker.ts";

const REDIS_URL = testRedisUrl();
// Small and quick: these tests check the job, not the model's skill.
const TINY_LSTM: Partial<LstmConfig> = { units: 4, hidden: 4, lookback: 24, batchSize: 64, seed: 3 };
const QUICK: TrainingConfig = { epochs: 2, lstm: TINY_LSTM, maxSeries: 8 };

let cluster: TestCluster;
let deps: WorkerDeps;
const now = Date.UTC(2026, 2, 2, 12, 0, 0);

function params(v: { id: string }): Promise<Record<string, unknown>> {
  return getModelVersion(cluster.db, v.id).then((d) => d.params as Record<string, unknown>);
}

beforeAll(async () => {
  cluster = await createTestCluster({ hosts: 1, stream: `models-${randomBytes(3).toString("hex")}`, shardCount: 1, shardletsPerShard: 2 });
  deps = { db: cluster.db, hosts: cluster.hosts, log: createLogger({ test: "model-train" }, { level: "error" }), clock: () => now, training: QUICK };
});

afterAll(async () => {
  await cluster?.drop();
});

// Training runs TensorFlow on the CPU: beside a full parallel test run it takes several times as long as alone.
describe("model training", { timeout: 120_000 }, () => {
  it("pre-trains on the shipped traces while there is no telemetry, scores both models and promotes only a better one", async () => {
    const fractions: number[] = [];
    const r = await runModelTraining(deps, { kind: "all", trigger: "manual", actor: "ada@example.com" }, { jobId: "job-traces", onProgress: (f) => Promise.resolve(void fractions.push(f)) });
    expect(r.source).toBe("traces");
    expect(r.versions.map((v) => v.kind).sort()).toEqual(["holt_winters", "lstm"]);

    const rows = await listModelVersions(cluster.db);
    expect(rows).toHaveLength(2);
    for (const v of rows) {
      expect(v).toMatchObject({ progress: 1, trigger: "manual", actor: "ada@example.com", jobId: "job-traces", source: "traces" });
      expect(["candidate", "active"]).toContain(v.status);
      for (const k of ["mae", "rmse", "mase"] as const) expect(Number.isFinite(v[k])).toBe(true);
      const p = await params(v);
      expect(p.sourceNote).toMatch(/no telemetry yet.*shipped traces/);
      const evaluation = p.evaluation as { holdout: number; series: Array<{ actual: number[]; predicted: number[]; baseline: number[] }> };
      expect(evaluation.holdout).toBe(48);
      expect(evaluation.series.length).toBe(5);
      for (const s of evaluation.series) {
        expect(s.actual).toHaveLength(48);
        expect(s.predicted).toHaveLength(48);
        expect(s.baseline).toHaveLength(48);
      }
    }
    const lstm = rows.find((v) => v.kind === "lstm")!;
    const lp = await params(lstm);
    expect(lp.training).toMatchObject({ epochs: 2 });
    expect((await getModelVersion(cluster.db, lstm.id)).artifactBytes).toBeGreaterThan(1_000);

    // No version served, so the default per-series selection did: the best of the run is promoted
    // exactly when it beats that selection on the same window (seasonal naive is only the reference).
    const best = rows.reduce((a, b) => (b.mase! < a.mase! ? b : a));
    const cmp = (await params(best)).comparison as { baselineMase: number; defaultMase: number | null; promoted: boolean; bar: number; against: string };
    expect(cmp.against).toBe("the default selection on the same window");
    expect(cmp.defaultMase).toBeGreaterThan(0);
    expect(cmp.bar).toBe(cmp.defaultMase);
    expect(cmp.promoted).toBe(best.mase! < cmp.defaultMase!);
    expect((await getActiveModelVersion(cluster.db))?.id ?? null).toBe(cmp.promoted ? best.id : null);
    expect(r.promotedId).toBe(cmp.promoted ? best.id : null);

    // Progress was reported while training, ending complete.
    expect(fractions.length).toBeGreaterThan(3);
    expect(fractions.at(-1)).toBe(1);
    expect(fractions.some((f) => f > 0 && f < 1)).toBe(true);
    const ops = await listOperations(cluster.db, { limit: 10, kind: "model.train" });
    expect(ops[0]!.message).toMatch(/holt_winters v1 and lstm v1 on traces/);
  });

  it("re-scores the active version on the new window and keeps a candidate that does not beat it", async () => {
    const lstm1 = (await listModelVersions(cluster.db, { kind: "lstm" }))[0]!;
    if (lstm1.status !== "active") await promoteModelVersion(cluster.db, lstm1.id, { actor: "test", reason: "make the LSTM serve" });
    // The same data and seed reproduce the same LSTM: on the same window it cannot beat itself.
    const r = await runModelTraining(deps, { kind: "lstm", trigger: "schedule" }, { jobId: "job-again" });
    const v = r.versions[0]!;
    const cmp = (await params(v)).comparison as { promoted: boolean; activeMase: number | null; bar: number; against: string };
    expect(cmp.against).toBe("lstm v1 on the same window");
    expect(cmp.activeMase).toBeCloseTo(lstm1.mase!, 10);
    expect(v.mase).toBeCloseTo(lstm1.mase!, 10);
    expect(cmp.promoted).toBe(false);
    expect(r.promotedId).toBeNull();
    expect((await getActiveModelVersion(cluster.db))?.id).toBe(lstm1.id);
    expect((await getModelVersion(cluster.db, v.id)).status).toBe("candidate");
  });

  it("trains a per-series selection version that names the serving LSTM, and scores the weekly-aware models with Holt-Winters", async () => {
    const before = await getActiveModelVersion(cluster.db);
    const r = await runModelTraining(deps, { kind: "selection", trigger: "manual" }, { jobId: "job-selection", config: QUICK });
    const v = r.versions[0]!;
    expect(v.kind).toBe("selection");
    expect(["candidate", "active"]).toContain(v.status);
    expect(Number.isFinite(v.mase)).toBe(true);
    const p = await params(v);
    const chosen = p.chosen as Array<{ name: string; kind: string }>;
    expect(chosen).toHaveLength(5);
    for (const c of chosen) expect(["holt_winters", "seasonal_naive", "weekly_naive", "weekly_median", "double_seasonal", "ensemble"]).toContain(c.kind);
    // The version serving when it trained (the LSTM of the test before) is the one it names.
    expect(before?.kind).toBe("lstm");
    expect(p.lstmVersionId).toBe(before!.id);
    const hw = (await listModelVersions(cluster.db, { kind: "holt_winters" })).find((x) => x.jobId === "job-traces")!;
    const candidates = (await params(hw)).candidates as Record<string, { mase: number }>;
    expect(Object.keys(candidates).sort()).toEqual(["double_seasonal", "ensemble", "weekly_naive"]);
  });

  it("trains on telemetry once it holds two seasons and a held-out window", async () => {
    const shardlets = await cluster.db.shardlet.findMany({ where: { streamId: cluster.streamId }, orderBy: { lo: "asc" } });
    const stepMs = 60_000;
    const end = Math.floor((now - 15_000) / stepMs) * stepMs;
    const rows = [];
    for (let i = 48; i >= 1; i--) {
      const t = end - i * stepMs;
      for (const [k, s] of shardlets.entries()) {
        const rate = (k + 1) * (100 + 40 * Math.sin((2 * Math.PI * t) / (12 * stepMs)));
        rows.push({ resolution: 60, bucketStart: new Date(t), shardletId: s.id, streamId: cluster.streamId, writes: BigInt(Math.round(rate * 60)) });
      }
    }
    await cluster.db.telemetryBucket.createMany({ data: rows });
    const r = await runModelTraining(
      deps,
      { kind: "holt_winters", trigger: "manual" },
      { jobId: "job-telemetry", config: { ...QUICK, bucketSec: 60, period: 12, holdout: 6, historySteps: 48 } },
    );
    expect(r.source).toBe("telemetry");
    const p = await params(r.versions[0]!);
    expect(p.corpus).toMatchObject({ series: 3, stepMs: 60_000, period: 12, holdout: 6 });
    const evaluation = p.evaluation as { series: Array<{ name: string; actual: number[]; startMs: number }> };
    // The stream's total is the busiest series; values are writes per second.
    expect(evaluation.series[0]!.name).toBe(`stream ${cluster.streamId}`);
    expect(evaluation.series[0]!.actual).toHaveLength(6);
    expect(Math.max(...evaluation.series[0]!.actual)).toBeGreaterThan(300);
    expect(Math.max(...evaluation.series[0]!.actual)).toBeLessThan(450);
    // A clean seasonal series: Holt-Winters forecasts it far better than seasonal naive's in-sample error.
    expect(r.versions[0]!.mase).toBeLessThan(0.5);
  });

  it("a retried job trains the rows its failed attempt left instead of adding new ones", async () => {
    const before: ModelVersionInfo = await createModelVersion(cluster.db, { kind: "holt_winters", trigger: "manual", jobId: "job-retry" });
    await failModelVersion(cluster.db, before.id, "worker crashed");
    const count = await cluster.db.modelVersion.count();
    const r = await runModelTraining(deps, { kind: "holt_winters", trigger: "manual" }, { jobId: "job-retry" });
    expect(r.versions.map((v) => v.id)).toEqual([before.id]);
    expect(await cluster.db.modelVersion.count()).toBe(count);
    expect((await getModelVersion(cluster.db, before.id)).status).not.toBe("failed");
  });
});

describe("model.train through the queue", () => {
  let connection: Redis;
  let running: RunningWorker;
  let events: QueueEvents;
  const prefix = `sc_test_models_${randomBytes(4).toString("hex")}`;

  beforeAll(async () => {
    connection = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
    running = await startWorker(deps, { connection, prefix, concurrency: 1, schedule: false, accountingEveryMs: 5_000, healthEveryMs: 10_000, hintDebounceMs: 0 });
    events = createQueueEvents(connection, { prefix });
    await events.waitUntilReady();
  });
  afterAll(async () => {
    await running?.worker.close();
    await running?.queue.obliterate({ force: true });
    await running?.close();
    await events?.close();
    if (connection) {
      const keys = [...(await connection.keys(`${prefix}:*`)), ...(await connection.keys(`{${prefix}}:*`))];
      if (keys.length > 0) await connection.del(...keys);
      connection.disconnect();
    }
  });

  it("schedules retraining a period after the schedule is declared, not at once", async () => {
    const before = Date.now();
    await scheduleRepeating(running.queue, "model.train", 3_600_000, { kind: "all", trigger: "schedule" }, { firstAfterMs: 3_600_000 });
    const schedulers = await running.queue.getJobSchedulers();
    expect(schedulers.map((x) => x.name)).toEqual(["model.train"]);
    expect(schedulers[0]!.next).toBeGreaterThanOrEqual(before + 3_600_000);
    const delayed = await running.queue.getJobs(["delayed"]);
    expect(delayed.map((j) => j.name)).toEqual(["model.train"]);
    expect(await running.queue.getJobs(["waiting", "active"])).toEqual([]);
    expect(await unscheduleRepeating(running.queue, "model.train")).toBe(true);
  });

  it("runs a manual training job, reports its progress and returns the new version", async () => {
    const job = await enqueue(running.queue, "model.train", { kind: "holt_winters", trigger: "manual", actor: "ops@example.com" });
    const result = (await job.waitUntilFinished(events, 60_000)) as { versions: Array<{ id: string; kind: string }> };
    expect(result.versions).toHaveLength(1);
    const v = await getModelVersion(cluster.db, result.versions[0]!.id);
    expect(v).toMatchObject({ kind: "holt_winters", jobId: job.id, actor: "ops@example.com", progress: 1 });
    const done = await running.queue.getJob(job.id!);
    expect(done?.progress).toBe(100);
  });
});
