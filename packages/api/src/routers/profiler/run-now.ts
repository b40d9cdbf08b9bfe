import { z } from "zod";
import { enqueue } from "@shardcast/jobs";
import { audit } from "../../audit.ts";
import { operatorProcedure } from "../../trpc.ts";

export const runNowOutput = z.object({ jobId: z.string(), message: z.string() });

/** Queues an orchestrator run now (it runs even while the profiler is disabled). */
export const runNow = operatorProcedure.output(runNowOutput).mutation(async ({ ctx }) => {
  // No deduplication: a run that lands late after a timed-out add is one more run, as the next
  // scheduled one would be.
  const job = await enqueue(ctx.queue, "orchestrator.run", { trigger: "manual", actor: ctx.user.email });
  await audit(ctx, { kind: "orchestrator.run.request", message: "asked the orchestrator to run now", details: { jobId: job.id ?? null } });
  return { jobId: job.id ?? "", message: "Orchestrator run queued." };
});
