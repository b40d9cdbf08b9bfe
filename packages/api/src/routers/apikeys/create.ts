import { z } from "zod";
import { consumerNameSchema, storableString, streamNameSchema } from "@shardcast/core";
import { createApiKey } from "@shardcast/db";
import { audit } from "../../audit.ts";
import { adminProcedure } from "../../trpc.ts";

export const createApiKeyInput = z
  .object({
    name: storableString.trim().min(1, "enter a name for the key").max(100, "name is longer than 100 characters"),
    /** Stream names the key may use; ["*"] for every stream. */
    streams: z
      .array(z.union([z.literal("*"), streamNameSchema]))
      .min(1, "choose at least one stream, or * for all streams")
      .max(100, "at most 100 streams per key"),
    canProduce: z.boolean().default(true),
    canConsume: z.boolean().default(true),
    /** Consumer groups the key may join, describe and act in; empty (the default) for any group. */
    consumerGroups: z.array(consumerNameSchema).max(100, "at most 100 consumer groups per key").default([]),
  })
  .refine((v) => v.canProduce || v.canConsume, { message: "a key must be allowed to produce or consume", path: ["canProduce"] });

export const createApiKeyOutput = z.object({
  id: z.string(),
  prefix: z.string(),
  /** The full secret token. Returned only here, once; only its hash is stored. */
  token: z.string(),
});

export const create = adminProcedure
  .input(createApiKeyInput)
  .output(createApiKeyOutput)
  .mutation(async ({ ctx, input }) => {
    const streams = input.streams.includes("*") ? ["*"] : [...new Set(input.streams)];
    const consumerGroups = [...new Set(input.consumerGroups)];
    const key = await createApiKey(ctx.db, { ...input, streams, consumerGroups, createdById: ctx.user.id });
    const groups = consumerGroups.length > 0 ? `, consumer groups ${consumerGroups.join(", ")}` : "";
    await audit(ctx, {
      kind: "apikey.create",
      message: `created API key ${input.name} (sc_${key.prefix}_…) for ${streams.join(", ")}${groups}`.slice(0, 1000),
      details: { keyId: key.id, prefix: key.prefix, canProduce: input.canProduce, canConsume: input.canConsume, consumerGroups },
    });
    return { id: key.id, prefix: key.prefix, token: key.token };
  });
