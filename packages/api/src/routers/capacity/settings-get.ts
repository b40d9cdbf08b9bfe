import { viewerProcedure } from "../../trpc.ts";
import { capacitySettings } from "../../services/capacity-settings.ts";
import { capacitySettingsOutput } from "./schemas.ts";

export const settingsGet = viewerProcedure.output(capacitySettingsOutput).query(async ({ ctx }) => {
  const [{ settings, updatedAt }, audit] = await Promise.all([capacitySettings.get(ctx.db), capacitySettings.audit(ctx.db, 20)]);
  return { settings, defaults: capacitySettings.defaults, updatedAt, audit };
});
