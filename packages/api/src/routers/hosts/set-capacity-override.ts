import { z } from "zod";
import { listHosts, MAX_HOST_EVENTS_PER_SEC, setHostCapacityOverride } from "@shardcast/db";
import { ShardcastError } from "@shardcast/core";
import { audit } from "../../audit.ts";
import { adminProcedure } from "../../trpc.ts";
import { hostSchema } from "../shared.ts";
import { hostView } from "./view.ts";

export const setCapacityOverrideInput = z.object({
  hostId: z.string().trim().min(1, "choose a host").max(64),
  /** Events/s the host is planned on instead of its measured and configured figures; null clears it. */
  eventsPerSec: z
    .number({ error: "capacity must be a number of events/s" })
    .int("capacity must be a whole number of events/s")
    .positive("capacity must be positive")
    .max(MAX_HOST_EVENTS_PER_SEC, "capacity must be at most 2,147,483,647 events/s")
    .nullable(),
});
export const setCapacityOverrideOutput = z.object({ host: hostSchema });

export const setCapacityOverride = adminProcedure
  .input(setCapacityOverrideInput)
  .output(setCapacityOverrideOutput)
  .mutation(async ({ ctx, input }) => {
    await setHostCapacityOverride(ctx.db, input.hostId, input.eventsPerSec);
    const host = (await listHosts(ctx.db)).find((h) => h.id === input.hostId);
    if (!host) throw new ShardcastError("not_found", `Host ${input.hostId} does not exist.`);
    await audit(ctx, {
      kind: "host.capacity",
      message:
        input.eventsPerSec === null
          ? `cleared the capacity override of host ${host.name}: planned on its ${host.capacitySource} figure, ${host.effectiveCapacityEventsPerSec} events/s`
          : `set host ${host.name}'s capacity to ${input.eventsPerSec} events/s (override)`,
      hostId: host.id,
    });
    return { host: hostView(host) };
  });
