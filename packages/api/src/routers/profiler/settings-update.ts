import { z } from "zod";
import { profilerSettingsSchema } from "@shardcast/core";
import { audit, settingsChangeMessage } from "../../audit.ts";
import { adminProcedure } from "../../trpc.ts";
import { profilerSettings } from "../../services/profiler-settings.ts";

// The form validates with the same schema, so its messages match the server's field by field.
export const settingsUpdateOutput = z.object({ settings: profilerSettingsSchema, changed: z.array(z.string()) });

/** Nothing is published: readers poll the settings every few seconds. */
export const settingsUpdate = adminProcedure
  .input(profilerSettingsSchema)
  .output(settingsUpdateOutput)
  .mutation(async ({ ctx, input }) => {
    const { settings, changes } = await profilerSettings.save(ctx.db, input, { id: ctx.user.id, email: ctx.user.email });
    await audit(ctx, { kind: "settings.update", message: settingsChangeMessage("profiler", changes), details: { key: profilerSettings.key, changes } });
    return { settings, changed: changes.map((c) => c.field) };
  });
