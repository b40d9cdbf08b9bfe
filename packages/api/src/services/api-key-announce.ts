import { apiKeyPrefixesCreatedBy } from "@shardcast/db";
import { apiKeyChannel } from "@shardcast/runtime";
import type { ApiContext } from "../context.ts";

type AnnounceContext = Pick<ApiContext, "db" | "redis" | "redisPrefix" | "log">;

/**
 * Tells the edges that keys changed (revoked, limits, creator's standing, adopted): they cache
 * verified keys and refusals, and drop these at once. The change is stored already, so a failed
 * announcement is logged, not thrown: the edges' cache lifetime then applies it.
 */
export async function announceApiKeys(ctx: AnnounceContext, prefixes: readonly string[], what: string, details: Record<string, unknown>): Promise<void> {
  try {
    for (const prefix of prefixes) await ctx.redis.publish(apiKeyChannel(ctx.redisPrefix), JSON.stringify({ prefix }));
  } catch (err) {
    ctx.log.warn(`${what} not published`, { ...details, error: err });
  }
}

/** Announces every key a user created: its creator being disabled, enabled, demoted or made an admin again changes each key's answer. */
export async function announceKeysOf(ctx: AnnounceContext, userId: string): Promise<void> {
  const prefixes = await apiKeyPrefixesCreatedBy(ctx.db, userId).catch((err: unknown) => {
    ctx.log.warn("api key changes of a user's standing not published", { userId, error: err });
    return [];
  });
  await announceApiKeys(ctx, prefixes, "api key changes of a user's standing", { userId });
}
