import { apiKeyPrefixesCreatedBy } from "@shardcast/db";
import { apiKeyChannel } from "@shardcast/runtime";
import type { ApiContext } from "../../context.ts";

/**
 * Edges cache verified keys, and refusals; a key's creator being disabled, enabled, demoted from
 * admin or made an admin again changes its answer, so each of the user's keys is announced as a
 * revocation is. A lost announcement is covered by the edges' cache lifetime (their entries are
 * looked up again within it).
 */
export async function announceKeysOf(ctx: Pick<ApiContext, "db" | "redis" | "redisPrefix" | "log">, userId: string): Promise<void> {
  try {
    for (const prefix of await apiKeyPrefixesCreatedBy(ctx.db, userId)) {
      await ctx.redis.publish(apiKeyChannel(ctx.redisPrefix), JSON.stringify({ prefix }));
    }
  } catch (err) {
    ctx.log.warn("api key changes of a user's standing not published", { userId, error: err });
  }
}
