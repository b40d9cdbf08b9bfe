import { z } from "zod";
import { approveDrainHostProposal } from "@shardcast/db";
import { enqueue } from "@shardcast/jobs";
import { audit } from "../../audit.ts";
import { queueFollowUp } from "../../services/follow-up.ts";
import { operatorProcedure } from "../../trpc.ts";
import { loadLabels, proposalView } from "../../services/analyzer-views.ts";
import { proposalSchema } from "./proposal-schema.ts";
import { idString } from "../shared.ts";

export const approveDrainHostInput = z.object({ proposalId: idString("choose a proposal") });
export const approveDrainHostOutput = z.object({ proposal: proposalSchema, hostId: z.string(), message: z.string() });

/**
 * Approves a scale-in proposal: the host becomes draining, the rebalancer moves its shardlets to
 * the other hosts (picked up now rather than on its next period) and the worker retires it empty.
 */
export const approveDrainHost = operatorProcedure
  .input(approveDrainHostInput)
  .output(approveDrainHostOutput)
  .mutation(async ({ ctx, input }) => {
    const r = await approveDrainHostProposal(ctx.db, input.proposalId, ctx.user.email);
    // Recorded before queueing: the approval stands whatever becomes of the job.
    await audit(ctx, {
      kind: "analyzer.drain_host",
      message: `approved draining host ${r.host.name}: ${r.proposal.reason}`.slice(0, 2000),
      hostId: r.host.id,
      details: { proposalId: r.proposal.id },
    });
    // The deduplication makes a late add after a timeout one planner run with the next.
    await queueFollowUp(
      () => enqueue(ctx.queue, "rebalance.plan", { actor: ctx.user.email }, { deduplication: { id: "rebalance-plan-now" } }),
      `Approved: ${r.host.name} is draining.`,
      "the rebalancer picks the drain up on its next periodic run instead of now.",
    );
    return {
      proposal: proposalView(r.proposal, await loadLabels(ctx.db, [])),
      hostId: r.host.id,
      message: `${r.host.name} is draining: its shardlets move to the other hosts, and it is retired once empty.`,
    };
  });
