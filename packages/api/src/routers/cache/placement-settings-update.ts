import { z } from "zod";
import { placementSettingsSchema } from "@shardcast/core";
import { audit, settingsChangeMessage } from "../../audit.ts";
import { adminProcedure } from "../../trpc.ts";
import { placementSettings } from "../../services/placement-settings.ts";

// The form validates with the same schema, so its messages match the server's field by field.
export const placementSettingsUpdateOutput = z.object({ settings: placementSettingsSchema, changed: z.array(z.string()) });

/**
 * Nothing is published: the placement job reads the settings at the start of every run, and a new
 * exploration bonus applies to the bandit it loads, keeping what it learnt.
 */
export const placementSettingsUpdate = adminProcedure
  .input(placementSettingsSchema)
  .output(placementSettingsUpdateOutput)
  .mutation(async ({ ctx, input }) => {
    const { settings, changes } = await placementSettings.save(ctx.db, input, { id: ctx.user.id, email: ctx.user.email });
    await audit(ctx, { kind: "settings.update", message: settingsChangeMessage("placement", changes), details: { key: placementSettings.key, changes } });
    return { settings, changed: changes.map((c) => c.field) };
  });
