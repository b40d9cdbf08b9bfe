import { z } from "zod";
import { adoptApiKey } from "@shardcast/db";
import { audit } from "../../audit.ts";
import { announceApiKeys } from "../../services/api-key-announce.ts";
import { adminProcedure } from "../../trpc.ts";
import { idString } from "../shared.ts";

export const adoptApiKeyInput = z.object({ id: idString() });
export const adoptApiKeyOutput = z.object({ id: z.string(), prefix: z.string() });

/**
 * Makes the acting admin the key's creator: a key refused because its creator was disabled or is
 * no longer an admin works again, without re-issuing its token to the clients that hold it.
 */
export const adopt = adminProcedure
  .input(adoptApiKeyInput)
  .output(adoptApiKeyOutput)
  .mutation(async ({ ctx, input }) => {
    const res = await adoptApiKey(ctx.db, input.id, ctx.user.id);
    // Adopting one's own key answers the same and records nothing: the audit log lists changes.
    if (!res.changed) return { id: input.id, prefix: res.prefix };
    await announceApiKeys(ctx, [res.prefix], "api key adoption", { keyId: input.id });
    await audit(ctx, {
      kind: "apikey.adopt",
      message: `adopted API key ${res.name} (sc_${res.prefix}_…), created by ${res.previousCreatorEmail ?? "the system"}`,
      details: { keyId: input.id, prefix: res.prefix, previousCreator: res.previousCreatorEmail },
    });
    return { id: input.id, prefix: res.prefix };
  });
