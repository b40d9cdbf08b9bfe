import { z } from "zod";
import { lifecycleSettingsSchema } from "@shardcast/core";
import { audit, settingsChangeMessage } from "../../audit.ts";
import { operatorProcedure } from "../../trpc.ts";
import { saveLifecycleSettings } from "../../services/lifecycle-settings.ts";

// The form validates with the same schema, so its messages match the server's field by field.
// The rate pair gets the rule the fullness pair has: two siblings each writing just under the merge
// rate make a shardlet writing up to twice that, which must stay under the split rate.
export const updateSettingsInput = lifecycleSettingsSchema.refine((s) => s.mergeWriteRate * 2 < s.splitWriteRate, {
  message: "merge write rate must be less than half the split write rate, or a merge would be split again at once",
  path: ["mergeWriteRate"],
});
export const updateSettingsOutput = z.object({
  lifecycle: lifecycleSettingsSchema,
  changed: z.array(z.string()),
});

/**
 * Nothing is published: the worker reads the settings at the start of every scan, so the change
 * takes effect on the next one without a restart.
 */
export const update = operatorProcedure
  .input(updateSettingsInput)
  .output(updateSettingsOutput)
  .mutation(async ({ ctx, input }) => {
    const { settings, changes } = await saveLifecycleSettings(ctx.db, input, { id: ctx.user.id, email: ctx.user.email });
    await audit(ctx, {
      kind: "settings.update",
      message: settingsChangeMessage("lifecycle", changes),
      details: { key: "lifecycle", changes },
    });
    return { lifecycle: settings, changed: changes.map((c) => c.field) };
  });
