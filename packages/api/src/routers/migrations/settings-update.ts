import { z } from "zod";
import { migrationSettingsSchema, rebalanceSettingsSchema } from "@shardcast/core";
import { audit } from "../../audit.ts";
import { saveMoveSettings } from "../../services/migration-settings.ts";
import { adminProcedure } from "../../trpc.ts";

// The form validates with the same schemas, so its messages match the server's field by field.
export const updateMoveSettingsInput = z.object({
  rebalance: rebalanceSettingsSchema.optional(),
  migration: migrationSettingsSchema.optional(),
});
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
    const r = await saveMoveSettings(ctx.db, input, { id: ctx.user.id, email: ctx.user.email });
    await audit(ctx, {
      kind: "settings.update",
      message:
        r.changes.length === 0
          ? "saved migration settings (no change)"
          : `changed migration settings: ${r.changes.map((c) => `${c.key}.${c.field} ${JSON.stringify(c.old)} -> ${JSON.stringify(c.new)}`).join(", ")}`,
      details: { keys: ["rebalance", "migration"], changes: r.changes },
    });
    return { rebalance: r.rebalance, migration: r.migration, changed: r.changes.map((c) => `${c.key}.${c.field}`) };
  });
