import { z } from "zod";
import { ShardcastError } from "@shardcast/core";
import { listApiKeys, setApiKeyQuota } from "@shardcast/db";
import { audit } from "../../audit.ts";
import { announceApiKeys } from "../../services/api-key-announce.ts";
import { adminProcedure } from "../../trpc.ts";
import { idString } from "../shared.ts";

/** Largest per-second limit: PostgreSQL stores it as a 32-bit integer. */
export const MAX_API_KEY_LIMIT = 2_147_483_647;

/**
 * A per-second limit; null is unlimited. The bounds come before `int`: zod's `int` also fails a
 * number past 2^53 (1e30 is whole, just too large), and the first message is the one shown.
 */
const perSecond = z
  .number({ error: "a limit is a number" })
  .min(1, "a limit is at least 1 per second")
  .max(MAX_API_KEY_LIMIT, "a limit is at most 2,147,483,647 per second")
  .int("a limit is a whole number")
  .nullable();

export const apiKeyQuotaSchema = z.object({
  produceEventsPerSec: perSecond,
  produceBytesPerSec: perSecond,
  readEventsPerSec: perSecond,
  readBytesPerSec: perSecond,
});

export const setApiKeyQuotaInput = z.object({ id: idString(), quota: apiKeyQuotaSchema });
export const setApiKeyQuotaOutput = z.object({ id: z.string(), quota: apiKeyQuotaSchema });

export const setQuota = adminProcedure
  .input(setApiKeyQuotaInput)
  .output(setApiKeyQuotaOutput)
  .mutation(async ({ ctx, input }) => {
    const key = (await listApiKeys(ctx.db)).find((k) => k.id === input.id);
    if (!key) throw new ShardcastError("not_found", "That API key does not exist.");
    await setApiKeyQuota(ctx.db, input.id, input.quota, { actorId: ctx.user.id });
    await announceApiKeys(ctx, [key.prefix], "api key quota change", { keyId: key.id });
    await audit(ctx, {
      kind: "apikey.quota",
      message: `set the rate limits of API key ${key.name} (sc_${key.prefix}_…)`,
      details: { keyId: key.id, prefix: key.prefix, before: key.quota, after: input.quota },
    });
    return { id: key.id, quota: input.quota };
  });
