import { z } from "zod";
import { listStreams } from "@shardcast/db";
import { viewerProcedure } from "../../trpc.ts";
import { lifecycleJobsForConsole } from "../../services/lifecycle-jobs.ts";
import { shardletRanges } from "../../services/shardlet-ranges.ts";
import { idString, rangeSchema, rangeView } from "../shared.ts";

export const lifecycleJobsInput = z
  .object({
    limit: z.number().int().min(1).max(200).default(50),
    streamId: idString().optional(),
  })
  .default({ limit: 50 });

const jobShardletSchema = z.object({ id: z.string(), range: rangeSchema.nullable() });

export const lifecycleJobsOutput = z.object({
  jobs: z.array(
    z.object({
      id: z.string(),
      kind: z.string(),
      streamId: z.string(),
      streamName: z.string(),
      phase: z.string(),
      running: z.boolean(),
      sources: z.array(jobShardletSchema),
      children: z.array(jobShardletSchema),
      splitAt: z.number().nullable(),
      reason: z.string(),
      actor: z.string().nullable(),
      attempts: z.number(),
      error: z.string().nullable(),
      rowsMoved: z.number(),
      drained: z.number(),
      startedAt: z.date(),
      finishedAt: z.date().nullable(),
      /** Finished: total time; running: time so far. */
      durationMs: z.number(),
    }),
  ),
});

/** Splits and merges in progress (oldest first) and the most recent finished ones. */
export const lifecycleJobs = viewerProcedure
  .input(lifecycleJobsInput)
  .output(lifecycleJobsOutput)
  .query(async ({ ctx, input }) => {
    const [jobs, streams] = await Promise.all([
      lifecycleJobsForConsole(ctx.db, { limit: input.limit, ...(input.streamId ? { streamId: input.streamId } : {}) }),
      listStreams(ctx.db),
    ]);
    const ranges = await shardletRanges(ctx.db, jobs.flatMap((j) => [...j.sourceIds, ...j.childIds]));
    const streamName = new Map(streams.map((s) => [s.id, s.name]));
    const shardlet = (id: string) => {
      const r = ranges.get(id);
      return { id, range: r ? rangeView(r.lo, r.hi) : null };
    };
    const now = Date.now();
    return {
      jobs: jobs.map((j) => {
        const running = j.finishedAt === null;
        const end = j.finishedAt?.getTime() ?? now;
        return {
          id: j.id,
          kind: j.kind,
          streamId: j.streamId,
          streamName: streamName.get(j.streamId) ?? j.streamId,
          phase: j.phase,
          running,
          sources: j.sourceIds.map(shardlet),
          children: j.childIds.map(shardlet),
          splitAt: j.splitAt,
          reason: j.reason,
          actor: j.actor,
          attempts: j.attempts,
          error: j.error,
          rowsMoved: j.rowsMoved,
          drained: j.drained,
          startedAt: j.createdAt,
          finishedAt: j.finishedAt,
          durationMs: Math.max(0, end - j.createdAt.getTime()),
        };
      }),
    };
  });
