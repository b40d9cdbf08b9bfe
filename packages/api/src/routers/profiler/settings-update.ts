import { z } from "zod";
import { profilerSettingsSchema } from "@shardcast/core";
import { audit } from "../../audit.ts";
import { adminProcedure } from "../../trpc.ts";
import { saveProfilerSettings } from "../../services/profiler-settings.ts";

// The form validates with the same schema, so its messages match the server's field by field.
export const profilerSettingsInput = profilerSettingsSchema;
export const profilerSettingsUpdateOutput = z.object({ settings: profilerSettingsSchema, changed: z.array(z.string()) });

/** Nothing is published: the edges and the orchestrator read the settings every few seconds. */
export const settingsUpdate = adminProcedure
  .input(profilerSettingsInput)
  .output(profilerSettingsUpdateOutput)
  .mutation(async ({ ctx, input }) => {
    const { settings, changes } = await saveProfilerSettings(ctx.db, input, { id: ctx.user.id, email: ctx.user.email });
    await audit(ctx, {
      kind: "settings.update",
      message:
        changes.length === 0
          ? "saved profiler settings (no change)"
          : `changed profiler settings: ${changes.map((c) => `${c.field} ${JSON.stringify(c.old)} -> ${JSON.stringify(c.new)}`).join(", ").slice(0, 900)}`,
      details: { key: "profiler", changes },
    });
    return { settings, changed: changes.map((c) => c.field) };
  });
