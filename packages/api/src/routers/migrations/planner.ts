import { z } from "zod";
import { plannerView } from "../../services/migration-planner.ts";
import { viewerProcedure } from "../../trpc.ts";

export const plannerOutput = z.object({
  hosts: z.array(
    z.object({
      id: z.string(),
      name: z.string(),
      status: z.string(),
      load: z.number(),
      projectedLoad: z.number(),
      capacityEventsPerSec: z.number(),
      share: z.number(),
      trigger: z.number(),
      ceiling: z.number(),
      shardlets: z.number(),
    }),
  ),
  notes: z.array(
    z.object({ id: z.number(), message: z.string(), hostId: z.string().nullable(), shardletId: z.string().nullable(), streamId: z.string().nullable(), at: z.date() }),
  ),
  lastRunAt: z.date().nullable(),
  settings: z.object({ enabled: z.boolean(), autoApprove: z.boolean(), tolerance: z.number(), hysteresis: z.number(), window: z.string() }),
});

/** Host loads against the rebalancer's thresholds, and why it did not propose more ("why not"). */
export const planner = viewerProcedure.output(plannerOutput).query(async ({ ctx }) => plannerView(ctx.db, Date.now()));
