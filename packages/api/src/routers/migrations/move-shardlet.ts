import { z } from "zod";
import { audit } from "../../audit.ts";
import { moveShardlet as move } from "../../services/migrations.ts";
import { operatorProcedure } from "../../trpc.ts";
import { idString } from "../shared.ts";

export const moveShardletInput = z.object({
  shardletId: idString("choose a shardlet"),
  destHostId: idString("choose a destination host"),
});
export const moveShardletOutput = z.object({ migrationId: z.string(), message: z.string() });

/** An operator's "move shardlet S to host H": checked for feasibility, then started at once. */
export const moveShardlet = operatorProcedure
  .input(moveShardletInput)
  .output(moveShardletOutput)
  .mutation(async ({ ctx, input }) => {
    const r = await move(ctx.db, ctx.queue, input, { id: ctx.user.id, email: ctx.user.email }, Date.now(), (m) =>
      audit(ctx, {
        kind: "migration.move",
        message: `requested moving ${m.shardletLabel} to another host`,
        streamId: m.streamId,
        shardletId: input.shardletId,
        hostId: m.sourceHostId,
        details: { migrationId: m.migrationId, destHostId: input.destHostId },
      }),
    );
    return { migrationId: r.migrationId, message: r.message };
  });
