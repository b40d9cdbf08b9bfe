import { z } from "zod";
import { consumerNameSchema, streamNameSchema } from "@shardcast/core";
import { operatorProcedure } from "../../trpc.ts";
import { deleteGroupEverywhere } from "../../services/consumer-groups.ts";

export const deleteGroupInput = z.object({
  stream: streamNameSchema,
  group: consumerNameSchema,
  /** Delete even while members are live (they learn at their next request that they are gone). */
  force: z.boolean().default(false),
});
export const deleteGroupOutput = z.object({ group: z.string(), members: z.number(), liveMembers: z.number(), shardlets: z.number(), checkpoints: z.number() });

/** Refused (409) while members are live, unless forced. */
export const deleteGroup = operatorProcedure
  .input(deleteGroupInput)
  .output(deleteGroupOutput)
  .mutation(({ ctx, input }) => deleteGroupEverywhere(ctx, input));
