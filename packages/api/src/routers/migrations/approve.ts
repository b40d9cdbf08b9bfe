import { z } from "zod";
import { audit } from "../../audit.ts";
import { approveAndStart } from "../../services/migrations.ts";
import { operatorProcedure } from "../../trpc.ts";
import { migrationIdInput } from "./schemas.ts";

export const approveOutput = z.object({ phase: z.enum(["approved", "scheduled"]), message: z.string() });

/** Approves a proposal (or starts a scheduled migration now) and queues the mover. */
export const approve = operatorProcedure
  .input(migrationIdInput)
  .output(approveOutput)
  .mutation(async ({ ctx, input }) => {
    return approveAndStart(ctx.db, ctx.queue, input.id, { id: ctx.user.id, email: ctx.user.email }, Date.now(), (phase) =>
      audit(ctx, { kind: "migration.approve", message: `approved migration ${input.id} (${phase})`, details: { migrationId: input.id, phase } }),
    );
  });
