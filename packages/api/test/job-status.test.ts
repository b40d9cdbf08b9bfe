import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createJobWorker, jobCatalog, type JobHandler, type JobHandlers, type JobName, type JobWorker } from "@shardcast/jobs";
import { createRedis } from "@shardcast/runtime";
import { REDIS_URL, startHarness, type Harness } from "./harness.ts";

/**
 * Following a run an operator queued from the console ("Plan now" on the migrations page, "run
 * now" on a stream's profile) through a real queue and worker: queued, running, done with its
 * outcome, or failed with why.
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
  let plans = 0;

  const handlers: Partial<Record<JobName, JobHandler<JobName>>> = {
    "orchestrator.run": async (_payload, job) => {
      await job.job.updateProgress({ stage: "scoring", fraction: 0.5 });
      await orchestratorGate.opened;
      return { streams: 1, shardlets: 6, unhealthy: 2, proposals: { split: 1, migrate: 0 }, notes: 1, applied: 0, ms: 3 };
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

  async function until(path: string, jobId: string, state: string): Promise<Status> {
    const deadline = Date.now() + 15_000;
    for (;;) {
      const res = await status(path, jobId, operator);
      expect(res.status).toBe(200);
      if (res.data!.state === state) return res.data!;
      if (Date.now() > deadline) throw new Error(`job ${jobId} is ${res.data!.state}, not ${state}`);
      await new Promise((r) => setTimeout(r, 50));
    }
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
});
