import { z } from "zod";
import { viewerProcedure } from "../../trpc.ts";
import { currentSettings, telemetryWindow } from "../../services/whatif.ts";
import { whatIfFields } from "./fields.ts";
import { whatIfFieldsSchema } from "./schemas.ts";

export const whatIfDefaultsOutput = z.object({
  fields: whatIfFieldsSchema,
  /** The telemetry a run on `auto` would use, or null (it would run on the shipped trace). */
  telemetry: z.object({ resolutionSec: z.number(), from: z.number(), to: z.number() }).nullable(),
});

export const defaults = viewerProcedure.output(whatIfDefaultsOutput).query(async ({ ctx }) => {
  const [settings, window] = await Promise.all([currentSettings(ctx.db), telemetryWindow(ctx.db)]);
  return { fields: whatIfFields(settings), telemetry: window };
});
