import { z } from "zod";
import { requestMigrationCancel } from "@shardcast/db";
import { audit } from "../../audit.ts";
import { operatorProcedure } from "../../trpc.ts";
import { migrationIdInput } from "./schemas.ts";

export const cancelOutput = z.object({ outcome: z.enum(["cancelled", "requested"]), phase: z.string(), message: z.string() });

/**
 * A migration that has not started is cancelled at once; one that is copying or verifying is asked
 * to stop (the mover cleans the destination and leaves the source as it was). From the switch on a
 * cancel is refused with the reason.
 */
export const cancel = operatorProcedure
  .input(migrationIdInput)
  .output(cancelOutput)
  .mutation(async ({ ctx, input }) => {
    const r = await requestMigrationCancel(ctx.db, input.id, { id: ctx.user.id, email: ctx.user.email });
    await audit(ctx, { kind: "migration.cancel", message: `cancel of migration ${input.id}: ${r.outcome}`, details: { migrationId: input.id, outcome: r.outcome, phase: r.phase } });
    return {
      ...r,
      message:
        r.outcome === "cancelled"
          ? "Cancelled before it started."
          : `Cancel requested during ${r.phase}: the mover stops at its next step and removes what it copied.`,
    };
  });
