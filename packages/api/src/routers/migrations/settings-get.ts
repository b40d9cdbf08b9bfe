import { z } from "zod";
import { migrationSettingsSchema, rebalanceSettingsSchema } from "@shardcast/core";
import { getMigrationSettings, getRebalanceSettings } from "@shardcast/db";
import { MIGRATION_DEFAULTS, moveSettingsAudit, REBALANCE_DEFAULTS, settingsUpdatedAt } from "../../services/migration-settings.ts";
import { viewerProcedure } from "../../trpc.ts";

export const moveSettingsOutput = z.object({
  rebalance: rebalanceSettingsSchema,
  migration: migrationSettingsSchema,
  defaults: z.object({ rebalance: rebalanceSettingsSchema, migration: migrationSettingsSchema }),
  updatedAt: z.date().nullable(),
  audit: z.array(
    z.object({
      id: z.number(),
      key: z.string(),
      at: z.date(),
      actorEmail: z.string().nullable(),
      changes: z.array(z.object({ field: z.string(), old: z.unknown(), new: z.unknown() })),
    }),
  ),
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
