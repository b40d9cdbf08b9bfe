import { z } from "zod";
import { rollbackModelVersion } from "@shardcast/db";
import { operatorProcedure } from "../../trpc.ts";
import { modelVersionSchema, modelVersionView, reasonSchema } from "./shared.ts";
import { idString } from "../shared.ts";

export const rollbackInput = z.object({
  /** A version that served before; omitted: the one that served just before the active one. */
  toId: idString().optional(),
  /** Return to the default per-series selection (no version serves). */
  toDefault: z.boolean().optional(),
  reason: reasonSchema,
});
/** `to` is null when no version served before: the default per-series selection serves again. */
export const rollbackOutput = z.object({ from: modelVersionSchema, to: modelVersionSchema.nullable(), message: z.string() });

export const rollback = operatorProcedure
  .input(rollbackInput)
  .output(rollbackOutput)
  .mutation(async ({ ctx, input }) => {
    const r = await rollbackModelVersion(ctx.db, { actor: ctx.user.email, reason: input.reason, ...(input.toId ? { toId: input.toId } : {}), ...(input.toDefault ? { toDefault: true } : {}) });
    const to = r.to === null ? "the default selection" : `${r.to.kind} v${r.to.version}`;
    return { from: modelVersionView(r.from), to: r.to === null ? null : modelVersionView(r.to), message: `Rolled back from ${r.from.kind} v${r.from.version} to ${to}.` };
  });
