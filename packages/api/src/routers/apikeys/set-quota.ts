import { z } from "zod";
import { ShardcastError } from "@shardcast/core";
import { listApiKeys, setApiKeyQuota } from "@shardcast/db";
import { apiKeyChannel } from "@shardcast/runtime";
import { audit } from "../../audit.ts";
import { adminProcedure } from "../../trpc.ts";
import { idString } from "../shared.ts";

/** A per-second limit; null is unlimited. PostgreSQL stores it as a 32-bit integer. */
const perSecond = z.number().int("a limit is a whole number").min(1, "a limit is at least 1 per second").max(2_147_483_647).nullable();

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
    try {
      // Edges cache keys with their limits; the announcement makes them reload this one at once.
      await ctx.redis.publish(apiKeyChannel(ctx.redisPrefix), JSON.stringify({ prefix: key.prefix }));
    } catch (err) {
      // The edges' cache TTL then applies the change.
      ctx.log.warn("api key quota change not published", { keyId: key.id, error: err });
    }
    await audit(ctx, {
      kind: "apikey.quota",
      message: `set the rate limits of API key ${key.name} (sc_${key.prefix}_…)`,
      details: { keyId: key.id, prefix: key.prefix, before: key.quota, after: input.quota },
    });
    return { id: key.id, quota: input.quota };
  });
