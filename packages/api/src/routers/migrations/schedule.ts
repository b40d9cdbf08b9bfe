import { z } from "zod";
import { scheduleMigration } from "@shardcast/db";
import { audit } from "../../audit.ts";
import { operatorProcedure } from "../../trpc.ts";
import { idString } from "../shared.ts";

export const scheduleInput = z.object({
  id: idString("choose a migration"),
  windowStart: z.coerce.date({ error: "enter a start time" }),
  windowEnd: z.coerce.date({ error: "enter an end time" }),
});
export const scheduleOutput = z.object({ message: z.string() });

/** Lets the mover run the migration only inside [windowStart, windowEnd). */
export const schedule = operatorProcedure
  .input(scheduleInput)
  .output(scheduleOutput)
  .mutation(async ({ ctx, input }) => {
    await scheduleMigration(ctx.db, input.id, { start: input.windowStart, end: input.windowEnd }, { id: ctx.user.id, email: ctx.user.email });
    await audit(ctx, {
      kind: "migration.schedule",
      message: `scheduled migration ${input.id} for ${input.windowStart.toISOString()} – ${input.windowEnd.toISOString()}`,
      details: { migrationId: input.id, windowStart: input.windowStart.toISOString(), windowEnd: input.windowEnd.toISOString() },
    });
    return { message: `Scheduled: the mover runs it between ${input.windowStart.toISOString()} and ${input.windowEnd.toISOString()}.` };
  });
