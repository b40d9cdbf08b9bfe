import { z } from "zod";
import { storableString } from "@shardcast/core";
import { rollbackModelVersion } from "@shardcast/db";
import { operatorProcedure } from "../../trpc.ts";
import { modelVersionSchema, modelVersionView, reasonSchema } from "./shared.ts";

export const rollbackInput = z.object({
  /** A version that served before; omitted: the one that served just before the active one. */
  toId: storableString.min(1).optional(),
  reason: reasonSchema,
});
export const rollbackOutput = z.object({ from: modelVersionSchema, to: modelVersionSchema, message: z.string() });

export const rollback = operatorProcedure
  .input(rollbackInput)
  .output(rollbackOutput)
  .mutation(async ({ ctx, input }) => {
    const r = await rollbackModelVersion(ctx.db, { actor: ctx.user.email, reason: input.reason, ...(input.toId ? { toId: input.toId } : {}) });
    return { from: modelVersionView(r.from), to: modelVersionView(r.to), message: `Rolled back from ${r.from.kind} v${r.from.version} to ${r.to.kind} v${r.to.version}.` };
  });
