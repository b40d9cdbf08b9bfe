import { z } from "zod";
import { readCacheSettingsSchema } from "@shardcast/core";
import { audit, settingsChangeMessage } from "../../audit.ts";
import { adminProcedure } from "../../trpc.ts";
import { cacheSettings } from "../../services/cache-settings.ts";

// The form validates with the same schema, so its messages match the server's field by field.
export const settingsUpdateOutput = z.object({ settings: readCacheSettingsSchema, changed: z.array(z.string()) });

/** Nothing is published: the correlation job reads the settings on every run and hands the threshold to the edges with its map. */
export const settingsUpdate = adminProcedure
  .input(readCacheSettingsSchema)
  .output(settingsUpdateOutput)
  .mutation(async ({ ctx, input }) => {
    const { settings, changes } = await cacheSettings.save(ctx.db, input, { id: ctx.user.id, email: ctx.user.email });
    await audit(ctx, { kind: "settings.update", message: settingsChangeMessage("read cache", changes), details: { key: cacheSettings.key, changes } });
    return { settings, changed: changes.map((c) => c.field) };
  });
