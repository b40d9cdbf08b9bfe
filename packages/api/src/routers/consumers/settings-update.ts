import { z } from "zod";
import { consumerSettingsSchema } from "@shardcast/core";
import { audit } from "../../audit.ts";
import { adminProcedure } from "../../trpc.ts";
import { saveConsumerSettings } from "../../services/consumer-settings.ts";

// The form validates with the same schema, so its messages match the server's field by field.
export const consumerSettingsInput = consumerSettingsSchema;
export const consumerSettingsUpdateOutput = z.object({ settings: consumerSettingsSchema, changed: z.array(z.string()) });

/** Nothing is published: the edges and the checkpoint job read the settings every few seconds. */
export const settingsUpdate = adminProcedure
  .input(consumerSettingsInput)
  .output(consumerSettingsUpdateOutput)
  .mutation(async ({ ctx, input }) => {
    const { settings, changes } = await saveConsumerSettings(ctx.db, input, { id: ctx.user.id, email: ctx.user.email });
    await audit(ctx, {
      kind: "settings.update",
      message:
        changes.length === 0
          ? "saved consumer settings (no change)"
          : `changed consumer settings: ${changes.map((c) => `${c.field} ${JSON.stringify(c.old)} -> ${JSON.stringify(c.new)}`).join(", ")}`,
      details: { key: "consumers", changes },
    });
    return { settings, changed: changes.map((c) => c.field) };
  });
