import { z } from "zod";
import { listModelVersions } from "@shardcast/db";
import { viewerProcedure } from "../../trpc.ts";
import { modelVersionSchema, modelVersionView } from "./shared.ts";

export const listModelsInput = z
  .object({
    limit: z.number().int().min(1).max(500).default(50),
    kind: z.enum(["holt_winters", "lstm"]).optional(),
  })
  .default({ limit: 50 });
export const listModelsOutput = z.object({
  versions: z.array(modelVersionSchema),
  /** The version that serves forecasts; null while the default per-series selection serves. */
  activeId: z.string().nullable(),
});

export const list = viewerProcedure
  .input(listModelsInput)
  .output(listModelsOutput)
  .query(async ({ ctx, input }) => {
    const rows = await listModelVersions(ctx.db, { limit: input.limit, ...(input.kind ? { kind: input.kind } : {}) });
    return { versions: rows.map(modelVersionView), activeId: rows.find((r) => r.status === "active")?.id ?? null };
  });
