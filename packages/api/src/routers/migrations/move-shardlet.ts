import { z } from "zod";
import { MOVE_MODES } from "@shardcast/core";
import { audit } from "../../audit.ts";
import { moveShardlet as move } from "../../services/migrations.ts";
import { operatorProcedure } from "../../trpc.ts";
import { idString } from "../shared.ts";

export const moveShardletInput = z.object({
  shardletId: idString("choose a shardlet"),
  destHostId: idString("choose a destination host"),
  /**
   * `handoff` (default): the write load moves in seconds and no row is copied; the history stays
   * readable on the current host until the stream's retention drops it. `copy`: the history moves
   * too (shadow writes, chunked copy, verify, switch), at the copy budget.
   */
  mode: z.enum(MOVE_MODES, { error: 'choose "handoff" or "copy"' }).default("handoff"),
});
export const moveShardletOutput = z.object({ migrationId: z.string(), message: z.string() });

/** An operator's "move shardlet S to host H" (by hand-off unless told to copy): checked for feasibility, then started at once. */
export const moveShardlet = operatorProcedure
  .input(moveShardletInput)
  .output(moveShardletOutput)
  .mutation(async ({ ctx, input }) => {
    const r = await move(ctx.db, ctx.queue, input, { id: ctx.user.id, email: ctx.user.email }, Date.now(), (m) =>
      audit(ctx, {
        kind: "migration.move",
        message: input.mode === "handoff" ? `requested handing ${m.shardletLabel} off to another host` : `requested moving ${m.shardletLabel} to another host`,
        streamId: m.streamId,
        shardletId: input.shardletId,
        hostId: m.sourceHostId,
        details: { migrationId: m.migrationId, destHostId: input.destHostId, mode: input.mode },
      }),
    );
    return { migrationId: r.migrationId, message: r.message };
  });
