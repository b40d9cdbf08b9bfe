import { z } from "zod";
import { placementSettingsSchema } from "@shardcast/core";
import { adminProcedure } from "../../trpc.ts";
import { placementSettings } from "../../services/placement-settings.ts";
import { saveSettings } from "../settings-save.ts";

// Any of the fields; the merged whole is checked with the schema the form uses, so its messages match field by field.
export const placementSettingsUpdateOutput = z.object({ settings: placementSettingsSchema, changed: z.array(z.string()) });

/**
 * Nothing is published: the placement job reads the settings at the start of every run, and a new
 * exploration bonus applies to the bandit it loads, keeping what it learnt.
 */
export const placementSettingsUpdate = adminProcedure
  .input(placementSettings.input)
  .output(placementSettingsUpdateOutput)
  .mutation(({ ctx, input }) => saveSettings(ctx, "placement", placementSettings, input));
