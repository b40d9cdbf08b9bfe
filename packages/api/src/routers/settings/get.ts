import { z } from "zod";
import { lifecycleSettingsSchema } from "@shardcast/core";
import { viewerProcedure } from "../../trpc.ts";
import { LIFECYCLE_DEFAULTS, readLifecycleSettings } from "../../services/lifecycle-settings.ts";

export const getSettingsOutput = z.object({
  lifecycle: lifecycleSettingsSchema,
  defaults: lifecycleSettingsSchema,
  updatedAt: z.date().nullable(),
  /** Why the stored value was ignored (it no longer validates), or null. */
  storedError: z.string().nullable(),
});

export const get = viewerProcedure.output(getSettingsOutput).query(async ({ ctx }) => {
  const stored = await readLifecycleSettings(ctx.db);
  return { lifecycle: stored.settings, defaults: LIFECYCLE_DEFAULTS, updatedAt: stored.updatedAt, storedError: stored.storedError };
});
