import { z } from "zod";
import { countUsers } from "@shardcast/db";
import { publicProcedure } from "../../trpc.ts";

export const setupNeededOutput = z.object({ needed: z.boolean() });

/** The first-run page is offered only while the console has no user at all. */
export const setupNeeded = publicProcedure
  .output(setupNeededOutput)
  .query(async ({ ctx }) => ({ needed: (await countUsers(ctx.db)) === 0 }));
