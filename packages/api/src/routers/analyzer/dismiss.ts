import { z } from "zod";
import { dismissAnalyzerProposal } from "@shardcast/db";
import { audit } from "../../audit.ts";
import { operatorProcedure } from "../../trpc.ts";
import { loadLabels, proposalView } from "../../services/analyzer-views.ts";
import { proposalSchema } from "./proposal-schema.ts";
import { idString } from "../shared.ts";

export const dismissInput = z.object({ proposalId: idString("choose a proposal") });
export const dismissOutput = z.object({ proposal: proposalSchema });

export const dismiss = operatorProcedure
  .input(dismissInput)
  .output(dismissOutput)
  .mutation(async ({ ctx, input }) => {
    const p = await dismissAnalyzerProposal(ctx.db, input.proposalId, ctx.user.email);
    await audit(ctx, {
      kind: "analyzer.dismiss",
      message: `dismissed a ${p.kind.replace("_", " ")} proposal: ${p.reason}`.slice(0, 2000),
      streamId: p.streamId,
      shardletId: p.shardletId,
      hostId: p.sourceHostId,
      details: { proposalId: p.id },
    });
    return { proposal: proposalView(p, await loadLabels(ctx.db, p.shardletId ? [p.shardletId] : [])) };
  });
