import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { waitFor } from "@shardcast/core/testing";
import { createJobWorker, createQueue, enqueue, jobCatalog, type JobHandlers, type JobName, type JobQueue, type JobWorker } from "@shardcast/jobs";
import { createRedis } from "@shardcast/runtime";
import { readJobStatus, summarizeAs } from "../src/job-status.ts";
import { z } from "zod";
import { REDIS_URL } from "./harness.ts";

/**
 * A status read racing the job's end: the console stops asking once a run has ended, so the
 * answer that says "completed" must carry the outcome.
 */
describe("job status read while the job finishes", () => {
  const prefix = `job-race-${randomUUID().slice(0, 8)}`;
  let bull: ReturnType<typeof createRedis>;
  let queue: JobQueue;
  let worker: JobWorker;
  let release!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));

  beforeAll(() => {
    bull = createRedis(REDIS_URL, { forBullmq: true });
    queue = createQueue(bull, { prefix });
    const handlers = Object.fromEntries(
      (Object.keys(jobCatalog) as JobName[]).map((name) => [name, () => Promise.reject(new Error(`${name} is not run here`))]),
    ) as unknown as JobHandlers;
    handlers["rebalance.plan"] = async () => {
      await released;
      return { proposed: 2, approved: 0, duplicates: 0, withdrawn: 0, notes: 1, drainingHosts: 0 };
    };
    worker = createJobWorker(bull, { prefix, concurrency: 1 }, handlers);
  });
  afterAll(async () => {
    release();
    await worker?.close();
    await queue?.obliterate({ force: true }).catch(() => undefined);
    await queue?.close();
    bull?.disconnect();
  });

  it("never answers 'completed' without the run's outcome", async () => {
    const jobId = (await enqueue(queue, "rebalance.plan", {})).id!;
    await waitFor("the run to start", async () => ((await queue.getJobState(jobId)) === "active" ? true : null));

    // The real queue, with the run let finish right after each job read: the read holds the job as
    // it was while running, and whatever the status asks of Redis next sees it completed.
    const finishingQueue = new Proxy(queue, {
      get(target, prop, receiver) {
        if (prop === "getJob") {
          return async (id: string) => {
            const job = await target.getJob(id);
            release();
            await waitFor("the run to complete", async () => ((await target.getJobState(id)) === "completed" ? true : null));
            return job;
          };
        }
        const value: unknown = Reflect.get(target, prop, receiver);
        return typeof value === "function" ? (value as (...a: unknown[]) => unknown).bind(target) : value;
      },
    });
    const summary = summarizeAs(z.object({ proposed: z.number() }), (r) => `${r.proposed} proposed`);
    const racing = await readJobStatus(finishingQueue, { jobId, name: "rebalance.plan", what: "planner run", summary });
    if (racing.state === "completed") expect(racing.summary).toBe("2 proposed");
    else expect(racing.state).toBe("active");

    const after = await readJobStatus(queue, { jobId, name: "rebalance.plan", what: "planner run", summary });
    expect(after).toMatchObject({ state: "completed", summary: "2 proposed" });
  });
});
