import { z } from "zod";
import { promoteModelVersion } from "@shardcast/db";
import { operatorProcedure } from "../../trpc.ts";
import { modelVersionSchema, modelVersionView, reasonSchema } from "./shared.ts";
import { idString } from "../shared.ts";

export const promoteInput = z.object({ id: idString("choose a version"), reason: reasonSchema });
export const promoteOutput = z.object({ version: modelVersionSchema, message: z.string() });

/**
 * Makes a trained version the one that serves, whatever its figures (automatic promotion only
 * takes a better one); the reason goes to the operations log with the change.
 */
export const promote = operatorProcedure
  .input(promoteInput)
  .output(promoteOutput)
  .mutation(async ({ ctx, input }) => {
    const v = await promoteModelVersion(ctx.db, input.id, { actor: ctx.user.email, reason: input.reason });
    return { version: modelVersionView(v), message: `${v.kind} v${v.version} now serves forecasts.` };
  });
