import { z } from "zod";
import { latestAnalyzerRun, listAnalyzerProposals, modelVersionLabel } from "@shardcast/db";
import { viewerProcedure } from "../../trpc.ts";
import { loadLabels, proposalView } from "../../services/analyzer-views.ts";
import { proposalSchema, runSummarySchema } from "./proposal-schema.ts";
import { idString } from "../shared.ts";

export const proposalsInput = z
  .object({
    /** open: to decide now (most urgent first); decided: applied or dismissed; all: every status. */
    status: z.enum(["open", "decided", "all"]).default("open"),
    streamId: idString().optional(),
    kind: z.enum(["split", "migrate", "add_host", "drain_host"]).optional(),
    limit: z.number().int().min(1).max(500).default(100),
  })
  .default({ status: "open", limit: 100 });
export const proposalsOutput = z.object({
  proposals: z.array(proposalSchema),
  latestRun: runSummarySchema.nullable(),
});

export const proposals = viewerProcedure
  .input(proposalsInput)
  .output(proposalsOutput)
  .query(async ({ ctx, input }) => {
    const [rows, run] = await Promise.all([
      listAnalyzerProposals(ctx.db, {
        limit: input.limit,
        ...(input.status === "all" ? {} : { status: input.status }),
        ...(input.streamId ? { streamId: input.streamId } : {}),
        ...(input.kind ? { kind: input.kind } : {}),
      }),
      latestAnalyzerRun(ctx.db),
    ]);
    const labels = await loadLabels(ctx.db, rows.map((p) => p.shardletId).filter((x): x is string => x !== null));
    return {
      proposals: rows.map((p) => proposalView(p, labels)),
      latestRun: run ? { id: run.id, at: run.at, model: await modelVersionLabel(ctx.db, run.modelVersionId), bucketSec: run.bucketSec, horizonSec: run.horizonSec } : null,
    };
  });
