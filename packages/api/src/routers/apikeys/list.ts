import { z } from "zod";
import { listApiKeys } from "@shardcast/db";
import { adminProcedure } from "../../trpc.ts";
import { apiKeyQuotaSchema } from "./set-quota.ts";

export const apiKeySchema = z.object({
  id: z.string(),
  name: z.string(),
  prefix: z.string(),
  streams: z.array(z.string()),
  canProduce: z.boolean(),
  canConsume: z.boolean(),
  /** Consumer groups the key may use; empty means any group. */
  consumerGroups: z.array(z.string()),
  quota: apiKeyQuotaSchema,
  createdAt: z.date(),
  /** The console user who created (or adopted) the key; null for the system. */
  createdById: z.string().nullable(),
  createdByEmail: z.string().nullable(),
  /** Set when the edges refuse the key for its creator's standing: adopting it lifts that. */
  creatorRefusal: z.enum(["creator_disabled", "creator_not_admin"]).nullable(),
  lastUsedAt: z.date().nullable(),
  revokedAt: z.date().nullable(),
});
export const listApiKeysOutput = z.object({ keys: z.array(apiKeySchema) });

export const list = adminProcedure.output(listApiKeysOutput).query(async ({ ctx }) => {
  const keys = await listApiKeys(ctx.db);
  return {
    keys: keys.map((k) => ({
      id: k.id,
      name: k.name,
      prefix: k.prefix,
      streams: k.streams,
      canProduce: k.canProduce,
      canConsume: k.canConsume,
      consumerGroups: k.consumerGroups,
      quota: k.quota,
      createdAt: k.createdAt,
      createdById: k.createdById,
      createdByEmail: k.createdByEmail,
      creatorRefusal: k.creatorRefusal,
      lastUsedAt: k.lastUsedAt,
      revokedAt: k.revokedAt,
    })),
  };
});
