import { randomBytes } from "node:crypto";
import { getModelVersion } from "@shardcast/db";
import { createTestCluster, type TestCluster } from "@shardcast/db/testing";
import type { LstmConfig } from "@shardcast/models";
import { createLogger } from "@shardcast/runtime/logger";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { WorkerDeps } from "../src/deps.ts";
import { defaultTracesDir, loadTraceCorpus } from "../src/training/corpus.ts";
import { trainHoltWinters } from "../src/training/holt-winters.ts";
import { trainLstm } from "../src/training/lstm.ts";
import { READING_SHARE, trainingProgress } from "../src/training/progress.ts";
import { runModelTraining } from "../src/training/run.ts";

// Small and quick: these tests check the progress, not the model's skill.
const TINY_LSTM: Partial<LstmConfig> = { units: 4, hidden: 4, lookback: 24, batchSize: 64, seed: 3 };

function expectNonDecreasing(values: readonly number[], what: string): void {
  for (let i = 1; i < values.length; i++) {
    if (values[i]! < values[i - 1]!) throw new Error(`${what} stepped back from ${values[i - 1]} to ${values[i]} at report ${i}: ${values.join(", ")}`);
  }
}

describe("training progress (trainers driven for real, no database)", () => {
  it("every version's fraction and the job's rounded percentage only grow, through the corpus, Holt-Winters and an LSTM that searches its epoch count and refits", async () => {
    const corpus = await loadTraceCorpus(defaultTracesDir(), "the shipped traces");
    const seen = new Map<string, number[]>([
      ["hw", []],
      ["lstm", []],
    ]);
    const job: number[] = [];
    const progress = trainingProgress(["hw", "lstm"], (id, fraction) => {
      seen.get(id)!.push(fraction);
      job.push(Math.round(progress.overall() * 100));
      return Promise.resolve();
    });
    await progress.reading(0.3, "reading the training series");
    await progress.reading(1, corpus.note);
    await trainHoltWinters(corpus, progress.trainer("hw"));
    progress.ended("hw");
    job.push(Math.round(progress.overall() * 100));
    // Patience 10 on a few epochs never stops early, so the search runs every epoch and the refit follows.
    const r = await trainLstm(corpus, { epochs: 3, config: TINY_LSTM, maxWindows: 200 }, progress.trainer("lstm"));
    expect(r.result.refitted).toBe(true);
    progress.ended("lstm");
    job.push(Math.round(progress.overall() * 100));

    for (const [id, fractions] of seen) {
      expectNonDecreasing(fractions, `${id} progress`);
      expect(fractions[0]).toBeGreaterThan(0);
      expect(fractions[1]).toBe(READING_SHARE);
    }
    // The trainer's first report (loading TensorFlow.js) comes after the reading, not below it.
    expect(seen.get("lstm")![2]).toBeGreaterThan(READING_SHARE);
    // Search and refit epochs each moved the bar.
    expect(seen.get("lstm")!.length).toBeGreaterThanOrEqual(2 + 2 + 3 + 1 + 1);
    expectNonDecreasing(job, "job percentage");
    expect(job.at(-1)).toBe(100);
  });

  it("holds a version's fraction when a trainer revises its estimate down", async () => {
    const written: number[] = [];
    const progress = trainingProgress(["v"], (_id, fraction) => Promise.resolve(void written.push(fraction)));
    const report = progress.trainer("v");
    await report(0.4, "epoch 12 of an expected 60");
    await report(0.38, "estimate revised");
    await report(0.5, "later");
    expect(written[1]).toBe(written[0]);
    expectNonDecreasing(written, "progress");
    expect(progress.of("v")).toBeCloseTo(READING_SHARE + (1 - READING_SHARE) * 0.5, 10);
  });
});

describe("training progress of a run (real database, real training)", () => {
  let cluster: TestCluster;
  let deps: WorkerDeps;
  const now = Date.UTC(2026, 2, 2, 12, 0, 0);

  beforeAll(async () => {
    cluster = await createTestCluster({ hosts: 1, stream: `progress-${randomBytes(3).toString("hex")}`, shardCount: 1, shardletsPerShard: 1 });
    deps = { db: cluster.db, hosts: cluster.hosts, log: createLogger({ test: "training-progress" }, { level: "error" }), clock: () => now };
  });

  afterAll(async () => {
    await cluster?.drop();
  });

  it("the job's fraction never steps back while Holt-Winters and the LSTM train, and the rows end complete", async () => {
    const job: number[] = [];
    const r = await runModelTraining(
      deps,
      { kind: "all", trigger: "manual" },
      { jobId: `job-progress-${randomBytes(3).toString("hex")}`, onProgress: (f) => Promise.resolve(void job.push(f)), config: { epochs: 3, lstm: TINY_LSTM, maxSeries: 8 } },
    );
    expect(r.versions.map((v) => v.status).every((s) => s === "candidate" || s === "active")).toBe(true);
    expectNonDecreasing(
      job.map((f) => Math.round(f * 100)),
      "job percentage",
    );
    expect(job.at(-1)).toBe(1);
    for (const v of r.versions) expect((await getModelVersion(cluster.db, v.id)).progress).toBe(1);
  });
});
