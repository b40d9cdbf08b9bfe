import { z } from "zod";
import { lifecycleSettingsSchema } from "@shardcast/core";
import { getLifecycleSettings } from "@shardcast/db";
import { viewerProcedure } from "../../trpc.ts";
import { LIFECYCLE_DEFAULTS, lifecycleSettingsUpdatedAt } from "../../services/lifecycle-settings.ts";

export const getSettingsOutput = z.object({
  lifecycle: lifecycleSettingsSchema,
  defaults: lifecycleSettingsSchema,
  /** Last save, or null while the defaults apply. */
  updatedAt: z.date().nullable(),
});

export const get = viewerProcedure.output(getSettingsOutput).query(async ({ ctx }) => {
  const [lifecycle, updatedAt] = await Promise.all([getLifecycleSettings(ctx.db), lifecycleSettingsUpdatedAt(ctx.db)]);
  return { lifecycle, defaults: LIFECYCLE_DEFAULTS, updatedAt };
});
