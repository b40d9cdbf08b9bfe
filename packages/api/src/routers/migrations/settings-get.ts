import { z } from "zod";
import { migrationSettingsSchema, rebalanceSettingsSchema } from "@shardcast/core";
import { getMigrationSettings, getRebalanceSettings } from "@shardcast/db";
import { MIGRATION_DEFAULTS, moveSettingsAudit, REBALANCE_DEFAULTS, settingsUpdatedAt } from "../../services/migration-settings.ts";
import { viewerProcedure } from "../../trpc.ts";
import { settingsAuditEntrySchema } from "../shared.ts";

export const moveSettingsOutput = z.object({
  rebalance: rebalanceSettingsSchema,
  migration: migrationSettingsSchema,
  defaults: z.object({ rebalance: rebalanceSettingsSchema, migration: migrationSettingsSchema }),
  updatedAt: z.date().nullable(),
  /** Rebalance and migration saves share one list, so each entry says which record it changed. */
  audit: z.array(settingsAuditEntrySchema.extend({ key: z.string() })),
});

export const settings = viewerProcedure.output(moveSettingsOutput).query(async ({ ctx }) => {
  const [rebalance, migration, updatedAt, audit] = await Promise.all([
    getRebalanceSettings(ctx.db),
    getMigrationSettings(ctx.db),
    settingsUpdatedAt(ctx.db),
    moveSettingsAudit(ctx.db, 20),
  ]);
  return { rebalance, migration, defaults: { rebalance: REBALANCE_DEFAULTS, migration: MIGRATION_DEFAULTS }, updatedAt, audit };
});
