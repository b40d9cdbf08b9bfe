import { z } from "zod";
import { audit } from "../../audit.ts";
import { operatorProcedure } from "../../trpc.ts";
import { applyProposal as applyIt } from "../../services/analyzer-actions.ts";
import { loadLabels, proposalView } from "../../services/analyzer-views.ts";
import { proposalSchema } from "./proposal-schema.ts";
import { idString } from "../shared.ts";

export const applyProposalInput = z.object({ proposalId: idString("choose a proposal") });
export const applyProposalOutput = z.object({
  proposal: proposalSchema,
  message: z.string(),
  jobId: z.string().nullable(),
  migrationId: z.string().nullable(),
});

/** Acts on a split or migrate proposal: the split is queued, the move becomes an approved migration. */
export const applyProposal = operatorProcedure
  .input(applyProposalInput)
  .output(applyProposalOutput)
  .mutation(async ({ ctx, input }) => {
    const r = await applyIt(ctx.db, ctx.queue, input.proposalId, ctx.user.email);
    const p = r.proposal;
    await audit(ctx, {
      kind: p.kind === "split" ? "analyzer.split" : "analyzer.migrate",
      message: `applied a predictive ${p.kind === "split" ? "split" : "migration"}: ${p.reason}`.slice(0, 2000),
      streamId: p.streamId,
      shardletId: p.shardletId,
      hostId: p.sourceHostId,
      details: { proposalId: p.id, jobId: r.jobId, migrationId: r.migrationId, urgencySec: p.urgencySec },
    });
    return { ...r, proposal: proposalView(p, await loadLabels(ctx.db, p.shardletId ? [p.shardletId] : [])) };
  });
