import { z } from "zod";
import { listOperations } from "@shardcast/db";
import { viewerProcedure } from "../../trpc.ts";
import { operationSchema } from "../shared.ts";
import { operationView } from "./view.ts";

export const listOperationsInput = z
  .object({
    limit: z.number().int().min(1).max(500).default(100),
    kind: z.string().max(100).optional(),
  })
  .default({ limit: 100 });
export const listOperationsOutput = z.object({ operations: z.array(operationSchema) });

export const list = viewerProcedure
  .input(listOperationsInput)
  .output(listOperationsOutput)
  .query(async ({ ctx, input }) => ({
    operations: (await listOperations(ctx.db, input)).map(operationView),
  }));
