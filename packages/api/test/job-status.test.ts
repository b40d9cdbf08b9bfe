import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createJobWorker, jobCatalog, type JobHandler, type JobHandlers, type JobName, type JobWorker } from "@shardcast/jobs";
import { waitFor } from "@shardcast/core/testing";
import { createRedis } from "@shardcast/runtime";
import { REDIS_URL, startHarness, type Harness } from "./harness.ts";

/**
 * Following a run an operator queued from the console ("Plan now" on the migrations page, "run
 * now" on a stream's profile, a training on the Models page) through a real queue and worker:
 * queued, running, done with its outcome, or failed with why.
 */

interface Status {
  state: string;
  stage: string | null;
  fraction: number;
  error: string | null;
  skipped: string | null;
  summary: string | null;
}

function gate() {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { open, opened };
}

describe("status of a run queued from the console", () => {
  let h: Harness;
  let viewer: string;
  let operator: string;
  let worker: JobWorker;
  let bull: ReturnType<typeof createRedis>;
  const orchestratorGate = gate();
  const preallocGates = [gate(), gate()];
  const modelGate = gate();
  let plans = 0;

  const handlers: Partial<Record<JobName, JobHandler<JobName>>> = {
    "orchestrator.run": async (_payload, job) => {
      await job.job.updateProgress({ stage: "scoring", fraction: 0.5 });
      await orchestratorGate.opened;
      return { streams: 1, shardlets: 6, unhealthy: 2, proposals: { split: 1, migrate: 0 }, notes: 1, applied: 0, ms: 3 };
    },
    // Jobs without stages report a bare percent, as the worker's trainings do.
    "prealloc.train": async (_payload, job) => {
      await job.job.updateProgress(40);
      await preallocGates[0]!.opened;
      await job.job.updateProgress(150);
      await preallocGates[1]!.opened;
      return {
        operationId: "op-1",
        streams: [
          { stream: "orders", outcome: "installed", events: 5_000 },
          { stream: "carts", outcome: "skipped", events: 12 },
          { stream: "users", outcome: "skipped", events: 40 },
        ],
      };
    },
    "model.train": async (_payload, job) => {
      await job.job.updateProgress(25);
      await modelGate.opened;
      return {
        source: "traces",
        versions: [
          { id: "v-1", kind: "holt_winters", version: 3, status: "candidate", mase: 0.9 },
          { id: "v-2", kind: "lstm", version: 2, status: "failed", mase: null, error: "diverged" },
        ],
        promotedId: null,
        decision: "holt_winters v3 kept as candidate: it does not beat the active model",
      };
    },
    "rebalance.plan": () => {
      plans++;
      if (plans === 1) return Promise.reject(new Error("the control database did not answer"));
      return Promise.resolve({ proposed: 2, approved: 0, duplicates: 0, withdrawn: 1, notes: 3, drainingHosts: 0 });
    },
  };

  async function status(path: string, jobId: string, token: string) {
    return h.call<Status>("query", path, { jobId }, token);
  }

  async function until(path: string, jobId: string, state: string, also: (s: Status) => boolean = () => true): Promise<Status> {
    let last: Status | undefined;
    return waitFor(
      `job ${jobId} ${state} on ${path}`,
      async () => {
        const res = await status(path, jobId, operator);
        expect(res.status).toBe(200);
        last = res.data!;
        return last.state === state && also(last) ? last : null;
      },
      15_000,
      { intervalMs: 50, explain: () => `last seen: ${JSON.stringify(last)}` },
    );
  }

  /** `models.status` answers for its `job` the same shape as every other job status. */
  async function modelJob(jobId: string, token = operator) {
    return h.call<{ training: unknown[]; job: Status | null }>("query", "models.status", { jobId }, token);
  }

  beforeAll(async () => {
    h = await startHarness();
    [viewer, operator] = await Promise.all([h.sessionFor("viewer"), h.sessionFor("operator")]);
    bull = createRedis(REDIS_URL, { forBullmq: true });
    const all = Object.fromEntries(
      (Object.keys(jobCatalog) as JobName[]).map((name) => [name, handlers[name] ?? (() => Promise.reject(new Error(`${name} is not run here`)))]),
    ) as JobHandlers;
    // Not started yet: the first run is seen waiting before anything takes it.
    worker = createJobWorker(bull, { prefix: h.prefix, autorun: false, concurrency: 1 }, all);
  });
  afterAll(async () => {
    orchestratorGate.open();
    for (const g of [...preallocGates, modelGate]) g.open();
    await worker?.close();
    bull?.disconnect();
    await h?.close();
  });

  it("follows an orchestrator run from queued through its stage to done with what it found", async () => {
    const run = await h.call<{ jobId: string }>("mutation", "profiler.runNow", undefined, operator);
    expect(run.status).toBe(200);
    const jobId = run.data!.jobId;

    // The same role as queueing it.
    expect((await status("profiler.runStatus", jobId, viewer)).status).toBe(403);
    expect((await status("profiler.runStatus", jobId, operator)).data).toEqual({ state: "waiting", stage: null, fraction: 0, error: null, skipped: null, summary: null });

    void worker.run();
    expect(await until("profiler.runStatus", jobId, "active")).toMatchObject({ stage: "scoring", fraction: 0.5, summary: null });
    orchestratorGate.open();
    expect(await until("profiler.runStatus", jobId, "completed")).toEqual({
      state: "completed",
      stage: "scoring",
      fraction: 1,
      error: null,
      skipped: null,
      summary: "6 shardlets scored, 2 below the threshold, 1 split and 0 moves proposed, 1 note",
    });
  });

  it("shows a failed planner run with its reason, and a later one with what it proposed", async () => {
    expect((await h.call("mutation", "migrations.planNow", undefined, viewer)).status).toBe(403);
    const first = await h.call<{ jobId: string }>("mutation", "migrations.planNow", undefined, operator);
    expect(first.status).toBe(200);
    expect((await status("migrations.planStatus", first.data!.jobId, viewer)).status).toBe(403);
    expect(await until("migrations.planStatus", first.data!.jobId, "failed")).toMatchObject({ error: "the control database did not answer", summary: null });

    const second = await h.call<{ jobId: string }>("mutation", "migrations.planNow", undefined, operator);
    expect(second.data!.jobId).not.toBe(first.data!.jobId);
    expect(await until("migrations.planStatus", second.data!.jobId, "completed")).toMatchObject({
      error: null,
      summary: "2 moves proposed, 1 stale proposal withdrawn, 3 why-not notes",
    });
  });

  it("knows only its own kind of job", async () => {
    const run = await h.call<{ jobId: string }>("mutation", "profiler.runNow", undefined, operator);
    expect((await status("migrations.planStatus", run.data!.jobId, operator)).status).toBe(404);
    expect((await status("profiler.runStatus", "no-such-job", operator)).status).toBe(404);
    expect((await status("analyzer.runStatus", run.data!.jobId, operator)).status).toBe(404);
    expect((await h.call("query", "profiler.runStatus", { jobId: "" }, operator)).status).toBe(400);
  });

  it("reads a training's bare percent progress as a fraction, clamped, and tells each stream's outcome once done", async () => {
    const run = await h.call<{ jobId: string }>("mutation", "prealloc.train", {}, operator);
    expect(run.status).toBe(200);
    const jobId = run.data!.jobId;

    expect(await until("prealloc.trainStatus", jobId, "active", (s) => s.fraction > 0)).toEqual({
      state: "active",
      stage: null,
      fraction: 0.4,
      error: null,
      skipped: null,
      summary: null,
    });
    preallocGates[0]!.open();
    expect(await until("prealloc.trainStatus", jobId, "active", (s) => s.fraction !== 0.4)).toMatchObject({ stage: null, fraction: 1 });
    preallocGates[1]!.open();
    expect(await until("prealloc.trainStatus", jobId, "completed")).toEqual({
      state: "completed",
      stage: null,
      fraction: 1,
      error: null,
      skipped: null,
      summary: "3 streams: 1 installed, 2 with too little history",
    });
    // A training's status is no more than another job's: an id of another kind is unknown.
    expect((await status("migrations.planStatus", jobId, operator)).status).toBe(404);
    expect((await status("prealloc.trainStatus", "no-such-job", viewer)).status).toBe(404);
  });

  it("follows a model training next to the versions training now; an id it cannot read is no longer queued, not an error", async () => {
    const run = await h.call<{ jobId: string }>("mutation", "models.retrain", { kind: "all" }, operator);
    expect(run.status).toBe(200);
    const jobId = run.data!.jobId;

    const active = await waitFor("the model training running", async () => {
      const res = await modelJob(jobId, viewer);
      expect(res.status).toBe(200);
      return res.data!.job?.state === "active" && res.data!.job.fraction > 0 ? res.data! : null;
    });
    expect(active).toEqual({ training: [], job: { state: "active", stage: null, fraction: 0.25, error: null, skipped: null, summary: null } });
    expect((await status("prealloc.trainStatus", jobId, operator)).status).toBe(404);

    modelGate.open();
    const done = await waitFor("the model training done", async () => {
      const res = await modelJob(jobId);
      return res.data!.job?.state === "completed" ? res.data!.job : null;
    });
    expect(done).toEqual({
      state: "completed",
      stage: null,
      fraction: 1,
      error: null,
      skipped: null,
      summary: "holt_winters v3 kept as candidate: it does not beat the active model; 1 model failed to train",
    });

    const gone = { state: "unknown", stage: null, fraction: 0, error: null, skipped: null, summary: null };
    expect(await modelJob("no-such-job")).toMatchObject({ status: 200, data: { training: [], job: gone } });
    const other = await h.call<{ jobId: string }>("mutation", "prealloc.train", {}, operator);
    expect(await modelJob(other.data!.jobId)).toMatchObject({ status: 200, data: { job: gone } });
    expect((await h.call("query", "models.status", { jobId: "" }, viewer)).status).toBe(400);
    expect(await h.call("query", "models.status", {}, viewer)).toMatchObject({ status: 200, data: { training: [], job: null } });
  });
});
