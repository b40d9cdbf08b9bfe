import { z } from "zod";
import { ShardcastError } from "@shardcast/core";
import { listApiKeys, revokeApiKey } from "@shardcast/db";
import { audit } from "../../audit.ts";
import { announceApiKeys } from "../../services/api-key-announce.ts";
import { adminProcedure } from "../../trpc.ts";
import { idString } from "../shared.ts";

export const revokeApiKeyInput = z.object({ id: idString() });
export const revokeApiKeyOutput = z.object({ id: z.string(), prefix: z.string() });

export const revoke = adminProcedure
  .input(revokeApiKeyInput)
  .output(revokeApiKeyOutput)
  .mutation(async ({ ctx, input }) => {
    const key = (await listApiKeys(ctx.db)).find((k) => k.id === input.id);
    if (!key) throw new ShardcastError("not_found", "That API key does not exist.");
    // Revoking twice answers the same and records nothing new: the audit log lists changes.
    if (!(await revokeApiKey(ctx.db, input.id, { actorId: ctx.user.id }))) return { id: key.id, prefix: key.prefix };
    await announceApiKeys(ctx, [key.prefix], "api key revocation", { keyId: key.id });
    await audit(ctx, {
      kind: "apikey.revoke",
      message: `revoked API key ${key.name} (sc_${key.prefix}_…)`,
      details: { keyId: key.id, prefix: key.prefix },
    });
    return { id: key.id, prefix: key.prefix };
  });
