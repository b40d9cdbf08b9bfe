import { randomBytes } from "node:crypto";
import { forecastStartMs } from "@shardcast/core";
import {
  createModelVersion,
  finishModelVersion,
  getAnalyzerSettings,
  getLifecycleSettings,
  getModelArtifact,
  getModelVersion,
  insertLoadHints,
  promoteModelVersion,
  updateAnalyzerSettings,
} from "@shardcast/db";
import { createTestCluster, type TestCluster } from "@shardcast/db/testing";
import type { LstmArtifact, LstmConfig } from "@shardcast/models";
import { createLogger } from "@shardcast/runtime/logger";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadAnalyzerInputs, loadForecastCovariates } from "../src/analyzer/inputs.ts";
import { loadAnalyzerModel } from "../src/analyzer/model.ts";
import { runAnalyzer } from "../src/analyzer/run.ts";
import type { WorkerDeps } from "../src/deps.ts";
import { runModelTraining } from "../src/training/run.ts";
import { backdateShardlets } from "./analyzer-telemetry.ts";

// Small and quick: the test checks which columns travel from telemetry to the network, not skill.
const TINY_LSTM: Partial<LstmConfig> = { units: 4, hidden: 4, lookback: 24, batchSize: 64, seed: 5 };
const STEP_MS = 60_000;
const STEPS = 48;
const HORIZON = 6;
const HINT_RATE = 400;

let cluster: TestCluster;
let deps: WorkerDeps;
const now = Date.UTC(2026, 2, 3, 12, 0, 0);
const base = forecastStartMs(now, { bucketSec: 60, telemetryLagSec: 0 });
let hot: { id: string; lo: number; hi: number };

beforeAll(async () => {
  cluster = await createTestCluster({ hosts: 1, stream: `lstm-cov-${randomBytes(3).toString("hex")}`, shardCount: 1, shardletsPerShard: 2 });
  deps = { db: cluster.db, hosts: cluster.hosts, log: createLogger({ test: "lstm-covariates" }, { level: "error" }), clock: () => now };
  await updateAnalyzerSettings(cluster.db, { bucketSec: 60, horizonSec: HORIZON * 60, historySteps: STEPS, period: 12, telemetryLagSec: 0 }, null);
  const shardlets = await cluster.db.shardlet.findMany({ where: { streamId: cluster.streamId }, orderBy: { lo: "asc" } });
  const first = shardlets[0]!;
  hot = { id: first.id, lo: Number(first.lo), hi: Number(first.hi) };
  await backdateShardlets(cluster.db, cluster.streamId, now, 2 * STEPS * STEP_MS);
  // A hinted burst in the history (the load follows it) and one announced inside the horizon.
  const pastBurst = { from: base - 18 * STEP_MS, to: base - 14 * STEP_MS };
  const aheadBurst = { from: base + 2 * STEP_MS, to: base + 4 * STEP_MS };
  await insertLoadHints(cluster.db, [
    { streamId: cluster.streamId, lo: hot.lo, hi: hot.hi, eventsPerSec: HINT_RATE, startsAt: pastBurst.from, endsAt: pastBurst.to },
    { streamId: cluster.streamId, lo: hot.lo, hi: hot.hi, eventsPerSec: HINT_RATE, startsAt: aheadBurst.from, endsAt: aheadBurst.to },
  ]);
  const telemetry = [];
  const clients = [];
  for (let i = STEPS; i >= 1; i--) {
    const t = base - i * STEP_MS;
    for (const [k, s] of shardlets.entries()) {
      const inBurst = k === 0 && t >= pastBurst.from && t < pastBurst.to;
      const rate = inBurst ? HINT_RATE : (k + 1) * (100 + 40 * Math.sin((2 * Math.PI * t) / (12 * STEP_MS)));
      telemetry.push({ resolution: 60, bucketStart: new Date(t), shardletId: s.id, streamId: cluster.streamId, writes: BigInt(Math.round(rate * 60)) });
    }
    // Two readers of one group on the hot shardlet, a third joining for the last ten steps.
    for (const client of i <= 10 ? ["c1", "c2", "c3"] : ["c1", "c2"]) {
      clients.push({ resolution: 60, bucketStart: new Date(t), streamId: cluster.streamId, shardletId: hot.id, client, clientGroup: "readers", reads: 10 });
    }
  }
  await cluster.db.telemetryBucket.createMany({ data: telemetry });
  await cluster.db.clientBucket.createMany({ data: clients });
}, 120_000);

afterAll(async () => {
  await cluster?.drop();
});

describe("LSTM covariates from telemetry to the analyzer", () => {
  let names: string[];
  let lstmId: string;

  it("the training job builds each series' covariates from telemetry and the version stores the columns it was trained with", async () => {
    const r = await runModelTraining(
      deps,
      { kind: "lstm", trigger: "manual" },
      { jobId: "job-cov", config: { epochs: 2, lstm: TINY_LSTM, bucketSec: 60, period: 12, holdout: HORIZON, historySteps: STEPS } },
    );
    expect(r.source).toBe("telemetry");
    lstmId = r.versions[0]!.id;
    const v = await getModelVersion(cluster.db, lstmId);
    expect(v.status).not.toBe("failed");
    const params = v.params as { covariates: string[]; sourceNote: string };
    names = params.covariates;
    // Hints, readers and load shares are in the telemetry and kept, in the builder's order; co-access
    // is not: the burst breaks the two shardlets' correlation, so no series has a partner.
    expect(names).toEqual(["distinct_clients", "distinct_groups", "popularity", "read_share", "hint_rate"]);
    expect(params.sourceNote).toMatch(/with covariates .*hint_rate/);
    const art = (await getModelArtifact(cluster.db, lstmId)).artifact as LstmArtifact;
    expect(art.config.covariateColumns.map((c) => c.name)).toEqual(names);
    expect(art.config.covariates).toBe(names.length);
    expect(art.config.covariateColumns.find((c) => c.name === "hint_rate")).toEqual({ name: "hint_rate", known: true, unit: "load" });
  });

  it("the analyzer serves the LSTM the same columns in the trained order: hints over the horizon, observed features carried forward", async () => {
    if ((await getModelVersion(cluster.db, lstmId)).status !== "active") await promoteModelVersion(cluster.db, lstmId, { actor: "test", reason: "serve the LSTM" });
    const settings = await getAnalyzerSettings(cluster.db);
    const inputs = await loadAnalyzerInputs(cluster.db, { nowMs: now, settings, lifecycle: await getLifecycleSettings(cluster.db) });
    const model = await loadAnalyzerModel(cluster.db, deps.log);
    expect(model.kind).toBe("lstm");
    expect(model.covariates).toEqual(names);
    const cov = await loadForecastCovariates(cluster.db, inputs, { names: model.covariates!, historySteps: settings.historySteps });
    const shardlet = inputs.analyzerShardlets.find((s) => s.id === hot.id)!;
    expect(shardlet.history).toHaveLength(STEPS);
    const rows = cov.get(hot.id)!;
    expect(rows).toHaveLength(STEPS + HORIZON);
    for (const row of rows) expect(row).toHaveLength(names.length);
    const col = (name: string) => rows.map((row) => row[names.indexOf(name)]!);
    // Known ahead: the hint announces steps 2 and 3 of the horizon, as it announced 30..33 before.
    expect(col("hint_rate").slice(STEPS)).toEqual([0, 0, HINT_RATE, HINT_RATE, 0, 0]);
    expect(col("hint_rate").slice(30, 34)).toEqual([HINT_RATE, HINT_RATE, HINT_RATE, HINT_RATE]);
    // Observed: three readers at the end of the history, carried over the horizon.
    expect(col("distinct_clients").slice(STEPS - 12)).toEqual([2, 2, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3]);
    expect(col("read_share").slice(STEPS)).toEqual(new Array<number>(HORIZON).fill(1));
    // The other shardlet has no readers and no hints.
    const other = cov.get(inputs.analyzerShardlets.find((s) => s.id !== hot.id)!.id)!;
    expect(other.map((row) => row[names.indexOf("hint_rate")])).toEqual(new Array<number>(STEPS + HORIZON).fill(0));

    const run = await runAnalyzer({ db: cluster.db, log: deps.log, clock: () => now }, { trigger: "manual" });
    expect(run.model).toMatch(/^lstm v\d+$/);
    expect(run.points).toBe(2 * HORIZON);
  });

  it("an LSTM trained with a covariate the analyzer cannot build is not served misaligned columns: the analyzer falls back", async () => {
    const stored = await getModelArtifact(cluster.db, lstmId);
    const art = JSON.parse(JSON.stringify(stored.artifact)) as LstmArtifact;
    art.config.covariateColumns = art.config.covariateColumns.map((c, i) => (i === 0 ? { ...c, name: "weather" } : c));
    const v = await createModelVersion(cluster.db, { kind: "lstm", trigger: "manual", actor: "test" });
    await finishModelVersion(cluster.db, v.id, { mae: 1, rmse: 1, mase: 1, artifact: art, params: {} });
    await promoteModelVersion(cluster.db, v.id, { actor: "test", reason: "a model the analyzer cannot feed" });
    const model = await loadAnalyzerModel(cluster.db, deps.log);
    expect(model.kind).toBe("selection");
    expect(model.label).toMatch(/failed to load/);
    expect(model.covariates).toBeUndefined();
    const run = await runAnalyzer({ db: cluster.db, log: deps.log, clock: () => now }, { trigger: "manual" });
    expect(run.points).toBe(2 * HORIZON);
  });
});
