import { z } from "zod";
import { audit } from "../../audit.ts";
import { operatorProcedure } from "../../trpc.ts";
import { approveAddHost as approve } from "../../services/analyzer-actions.ts";
import { loadLabels, proposalView } from "../../services/analyzer-views.ts";
import { proposalSchema } from "./proposal-schema.ts";
import { idString } from "../shared.ts";

export const approveAddHostInput = z.object({ proposalId: idString("choose a proposal") });
export const approveAddHostOutput = z.object({ proposal: proposalSchema, jobId: z.string(), message: z.string() });

/** Approves a scale-out proposal: the worker runs the provisioning hook (or adds an embedded host). */
export const approveAddHost = operatorProcedure
  .input(approveAddHostInput)
  .output(approveAddHostOutput)
  .mutation(async ({ ctx, input }) => {
    const r = await approve(ctx.db, ctx.queue, input.proposalId, ctx.user.email);
    await audit(ctx, {
      kind: "analyzer.add_host",
      message: `approved adding a host: ${r.proposal.reason}`.slice(0, 2000),
      details: { proposalId: r.proposal.id, jobId: r.jobId },
    });
    return {
      proposal: proposalView(r.proposal, await loadLabels(ctx.db, [])),
      jobId: r.jobId,
      message: "Host provisioning queued; the new host appears on the Hosts page when it is registered.",
    };
  });
