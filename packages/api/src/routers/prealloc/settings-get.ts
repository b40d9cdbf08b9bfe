import { viewerProcedure } from "../../trpc.ts";
import { preallocSettings } from "../../services/prealloc-settings.ts";
import { preallocSettingsOutput } from "./schemas.ts";

export const settingsGet = viewerProcedure.output(preallocSettingsOutput).query(async ({ ctx }) => {
  const [{ settings, updatedAt }, audit] = await Promise.all([preallocSettings.get(ctx.db), preallocSettings.audit(ctx.db, 20)]);
  return { settings, defaults: preallocSettings.defaults, updatedAt, audit };
});
