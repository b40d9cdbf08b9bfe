import { z } from "zod";
import { migrationSettingsSchema, rebalanceSettingsSchema } from "@shardcast/core";
import { moveSettings, moveSettingsInput } from "../../services/migration-settings.ts";
import { adminProcedure } from "../../trpc.ts";
import { saveSettingsGroup } from "../settings-save.ts";

/**
 * Either half or both, each any of its fields; each merged half is checked with the schema the
 * form uses, so its messages match field by field ("rebalance.tolerance", ...).
 */
export const updateMoveSettingsInput = moveSettingsInput;
export const updateMoveSettingsOutput = z.object({
  rebalance: rebalanceSettingsSchema,
  migration: migrationSettingsSchema,
  /** "rebalance.tolerance", "migration.rowsPerSecond", ... */
  changed: z.array(z.string()),
});

/** Nothing is published: the planner and the mover read their settings at the start of each run. */
export const updateSettings = adminProcedure
  .input(updateMoveSettingsInput)
  .output(updateMoveSettingsOutput)
  .mutation(async ({ ctx, input }) => {
    const { settings, changed } = await saveSettingsGroup(ctx, "migration", moveSettings, input);
    return { ...settings, changed };
  });
