import { z } from "zod";
import { capacitySettingsSchema } from "@shardcast/core";
import { audit, settingsChangeMessage } from "../../audit.ts";
import { adminProcedure } from "../../trpc.ts";
import { capacitySettings } from "../../services/capacity-settings.ts";

// The form validates with the same schema, so its messages match the server's field by field
// (min above max is reported on maxHosts, a scale-in above the target on scaleInUtilization).
export const settingsUpdateOutput = z.object({ settings: capacitySettingsSchema, changed: z.array(z.string()) });

/** The analyzer reads the settings at the start of every run: a change applies on the next one. */
export const settingsUpdate = adminProcedure
  .input(capacitySettingsSchema)
  .output(settingsUpdateOutput)
  .mutation(async ({ ctx, input }) => {
    const { settings, changes } = await capacitySettings.save(ctx.db, input, { id: ctx.user.id, email: ctx.user.email });
    await audit(ctx, { kind: "settings.update", message: settingsChangeMessage("capacity", changes), details: { key: capacitySettings.key, changes } });
    return { settings, changed: changes.map((c) => c.field) };
  });
