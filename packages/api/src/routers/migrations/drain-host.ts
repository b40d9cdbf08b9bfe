import { z } from "zod";
import { cancelPendingDrainMoves, setHostDraining } from "@shardcast/db";
import { enqueue } from "@shardcast/jobs";
import { audit } from "../../audit.ts";
import { queueFollowUp } from "../../services/follow-up.ts";
import { adminProcedure } from "../../trpc.ts";
import { idString } from "../shared.ts";

export const drainHostInput = z.object({
  hostId: idString("choose a host"),
  /** false takes a draining host back into service. */
  drain: z.boolean().default(true),
});
export const drainHostOutput = z.object({ status: z.enum(["active", "draining", "down"]), message: z.string() });

/**
 * Drains a host (every shardlet is moved off it before it is retired; nothing new is placed on
 * it) or takes it back into service, cancelling its drain moves that have not started.
 */
export const drainHost = adminProcedure
  .input(drainHostInput)
  .output(drainHostOutput)
  .mutation(async ({ ctx, input }) => {
    const r = await setHostDraining(ctx.db, input.hostId, input.drain);
    if (input.drain) {
      const message = r.before === r.after ? `${r.name} is already draining.` : `${r.name} is draining: its shardlets are moved to the other hosts, a few at a time.`;
      // Recorded before queueing: the host is draining whatever becomes of the job.
      if (r.before !== r.after) await audit(ctx, { kind: "host.drain", message, hostId: input.hostId, details: { before: r.before, after: r.after } });
      // The planner picks the drain up now rather than on its next period; the deduplication makes
      // a late add after a timeout, and a retry, one planner run.
      await queueFollowUp(
        () => enqueue(ctx.queue, "rebalance.plan", { actor: ctx.user.email }, { deduplication: { id: "rebalance-plan-now" } }),
        `${r.name} is draining.`,
        "the rebalancer picks the drain up on its next periodic run instead of now.",
      );
      return { status: r.after, message };
    }
    const cancelled = await cancelPendingDrainMoves(ctx.db, input.hostId, { id: ctx.user.id, email: ctx.user.email });
    const message =
      r.before === r.after
        ? `${r.name} is already active.`
        : `${r.name} is back in service${cancelled > 0 ? `; ${cancelled} drain move${cancelled === 1 ? "" : "s"} that had not started ${cancelled === 1 ? "was" : "were"} cancelled` : ""}.`;
    if (r.before !== r.after) await audit(ctx, { kind: "host.undrain", message, hostId: input.hostId, details: { before: r.before, after: r.after } });
    return { status: r.after, message };
  });
