import { z } from "zod";
import { preallocSettingsSchema } from "@shardcast/core";
import { audit, settingsChangeMessage } from "../../audit.ts";
import { adminProcedure } from "../../trpc.ts";
import { preallocSettings } from "../../services/prealloc-settings.ts";

export const settingsUpdateOutput = z.object({ settings: preallocSettingsSchema, changed: z.array(z.string()) });

/** The pre-allocator reads the settings at the start of every run: a change applies on the next one. */
export const settingsUpdate = adminProcedure
  .input(preallocSettingsSchema)
  .output(settingsUpdateOutput)
  .mutation(async ({ ctx, input }) => {
    const { settings, changes } = await preallocSettings.save(ctx.db, input, { id: ctx.user.id, email: ctx.user.email });
    await audit(ctx, { kind: "settings.update", message: settingsChangeMessage("prealloc", changes), details: { key: preallocSettings.key, changes } });
    return { settings, changed: changes.map((c) => c.field) };
  });
