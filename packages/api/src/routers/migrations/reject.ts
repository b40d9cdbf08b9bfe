import { z } from "zod";
import { storableString } from "@shardcast/core";
import { rejectMigration } from "@shardcast/db";
import { audit } from "../../audit.ts";
import { operatorProcedure } from "../../trpc.ts";
import { idString } from "../shared.ts";

export const rejectInput = z.object({
  id: idString("choose a migration"),
  reason: storableString.trim().max(500, "the reason may have at most 500 characters").optional(),
});
export const rejectOutput = z.object({ message: z.string() });

export const reject = operatorProcedure
  .input(rejectInput)
  .output(rejectOutput)
  .mutation(async ({ ctx, input }) => {
    await rejectMigration(ctx.db, input.id, { id: ctx.user.id, email: ctx.user.email }, input.reason);
    await audit(ctx, { kind: "migration.reject", message: `rejected migration ${input.id}${input.reason ? `: ${input.reason}` : ""}`, details: { migrationId: input.id } });
    return { message: "Rejected." };
  });
