import { z } from "zod";
import { consumerSettingsSchema } from "@shardcast/core";
import { audit, settingsChangeMessage } from "../../audit.ts";
import { adminProcedure } from "../../trpc.ts";
import { consumerSettings } from "../../services/consumer-settings.ts";

// The form validates with the same schema, so its messages match the server's field by field.
export const settingsUpdateOutput = z.object({ settings: consumerSettingsSchema, changed: z.array(z.string()) });

/** Nothing is published: readers poll the settings every few seconds. */
export const settingsUpdate = adminProcedure
  .input(consumerSettingsSchema)
  .output(settingsUpdateOutput)
  .mutation(async ({ ctx, input }) => {
    const { settings, changes } = await consumerSettings.save(ctx.db, input, { id: ctx.user.id, email: ctx.user.email });
    await audit(ctx, { kind: "settings.update", message: settingsChangeMessage("consumer", changes), details: { key: consumerSettings.key, changes } });
    return { settings, changed: changes.map((c) => c.field) };
  });
