import { z } from "zod";
import { storableString } from "@shardcast/core";
import { countPreallocOutcomes, getLatestPreallocTraining, getPreallocSettings, listOperations, listPreallocations, PREALLOC_RUN_KIND, type PreallocDetails } from "@shardcast/db";
import { viewerProcedure } from "../../trpc.ts";
import { preallocDecisionSchema, preallocOverviewOutput } from "./schemas.ts";

const runDetails = z.object({
  decisions: z.array(preallocDecisionSchema).catch([]),
  modelVersion: z.number().nullable().catch(null),
  quality: z.object({ precision: z.number().nullable(), recall: z.number().nullable() }).nullable().catch(null),
  gates: z.record(z.string(), z.object({ open: z.boolean(), settled: z.number(), hits: z.number(), saved: z.number(), cost: z.number(), reason: z.string() })).catch({}),
});

/** Pre-allocations (newest first) with their outcome, and the latest run's why and why not. */
export const overview = viewerProcedure
  .input(z.object({ streamId: storableString.max(100).optional(), limit: z.number().int().min(1).max(200).default(50) }).default({ limit: 50 }))
  .output(preallocOverviewOutput)
  .query(async ({ ctx, input }) => {
    const [settings, rows, outcomes, runs, training] = await Promise.all([
      getPreallocSettings(ctx.db),
      listPreallocations(ctx.db, { limit: input.limit, ...(input.streamId ? { streamId: input.streamId } : {}) }),
      countPreallocOutcomes(ctx.db, input.streamId),
      listOperations(ctx.db, { limit: 1, kind: PREALLOC_RUN_KIND, ...(input.streamId ? { streamId: input.streamId } : {}) }),
      getLatestPreallocTraining(ctx.db),
    ]);
    const run = runs[0];
    const details = run ? runDetails.parse(run.details ?? {}) : null;
    const settled = outcomes.hit + outcomes.released;
    return {
      aggressiveness: settings.aggressiveness,
      preallocations: rows.map((r) => {
        const d: PreallocDetails = r.details;
        return {
          id: r.id,
          streamId: r.streamId,
          shardletId: r.shardletId,
          state: d.outcome ?? d.stage,
          probability: d.probability,
          cause: d.cause,
          parts: d.childIds ?? [],
          hotPartId: d.hotChildId ?? null,
          reason: d.reason,
          message: r.message,
          startedAt: r.startedAt,
          releaseAtMs: d.releaseAtMs,
        };
      }),
      outcomes,
      wastedShare: settled > 0 ? outcomes.released / settled : null,
      defaultModel: training
        ? { at: training.at, actor: training.actor, durationMs: training.durationMs, streams: training.streams.filter((s) => !input.streamId || s.streamId === input.streamId) }
        : null,
      latestRun:
        run && details
          ? {
              at: run.startedAt,
              decisions: details.decisions,
              modelVersion: details.modelVersion,
              precision: details.quality?.precision ?? null,
              recall: details.quality?.recall ?? null,
              gates: Object.entries(details.gates).map(([streamId, g]) => ({ streamId, ...g })),
            }
          : null,
    };
  });
