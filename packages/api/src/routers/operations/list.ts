import { z } from "zod";
import { storableString } from "@shardcast/core";
import { listOperations } from "@shardcast/db";
import { viewerProcedure } from "../../trpc.ts";
import { listOperationsIn, OPERATION_CATEGORY_NAMES } from "../../services/operation-categories.ts";
import { operationSchema } from "../shared.ts";
import { operationView } from "./view.ts";

export const operationCategorySchema = z.enum(["all", ...OPERATION_CATEGORY_NAMES]);

export const listOperationsInput = z
  .object({
    limit: z.number().int().min(1).max(500).default(100),
    /** One exact kind, or a prefix ending in "." (e.g. "shardlet."). */
    kind: storableString.max(100).optional(),
    /** A group of kinds (splits, merges, contention, hosts); ignored when `kind` is given. */
    category: operationCategorySchema.default("all"),
  })
  .default({ limit: 100, category: "all" });
export const listOperationsOutput = z.object({ operations: z.array(operationSchema) });

export const list = viewerProcedure
  .input(listOperationsInput)
  .output(listOperationsOutput)
  .query(async ({ ctx, input }) => {
    const rows =
      input.kind !== undefined || input.category === "all"
        ? await listOperations(ctx.db, { limit: input.limit, ...(input.kind !== undefined ? { kind: input.kind } : {}) })
        : await listOperationsIn(ctx.db, { limit: input.limit, category: input.category });
    return { operations: rows.map(operationView) };
  });
