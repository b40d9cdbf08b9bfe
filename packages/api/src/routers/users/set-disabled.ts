import { z } from "zod";
import { apiKeyPrefixesCreatedBy, setUserDisabled } from "@shardcast/db";
import { apiKeyChannel } from "@shardcast/runtime";
import { audit } from "../../audit.ts";
import type { ApiContext } from "../../context.ts";
import { adminProcedure } from "../../trpc.ts";
import { idString } from "../shared.ts";
import { userChangeOutput, userView } from "./user-view.ts";

export const setDisabledInput = z.object({ id: idString() });

/** `users.disable` (true) or `users.enable` (false): the same change, told apart by the flag. */
export function setDisabledProcedure(disabled: boolean) {
  return adminProcedure
    .input(setDisabledInput)
    .output(userChangeOutput)
    .mutation(async ({ ctx, input }) => {
      const res = await setUserDisabled(ctx.db, ctx.user.id, input.id, disabled);
      // Asking twice answers the same and records nothing new: the audit log lists changes.
      if (res.changed) {
        await announceKeysOf(ctx, res.user.id);
        await audit(
          ctx,
          disabled
            ? {
                kind: "user.disable",
                message: `disabled user ${res.user.email} and ended ${res.sessionsEnded} sign-in session(s)`,
                details: { userId: res.user.id, sessionsEnded: res.sessionsEnded },
              }
            : { kind: "user.enable", message: `enabled user ${res.user.email}`, details: { userId: res.user.id } },
        );
      }
      return { user: userView(res.user), sessionsEnded: res.sessionsEnded };
    });
}

/**
 * Edges cache verified keys, and refusals; a key's creator being disabled or enabled changes its
 * answer, so each of the user's keys is announced as a revocation is. A lost announcement is
 * covered by the edges' cache lifetime (their entries are looked up again within it).
 */
async function announceKeysOf(ctx: Pick<ApiContext, "db" | "redis" | "redisPrefix" | "log">, userId: string): Promise<void> {
  try {
    for (const prefix of await apiKeyPrefixesCreatedBy(ctx.db, userId)) {
      await ctx.redis.publish(apiKeyChannel(ctx.redisPrefix), JSON.stringify({ prefix }));
    }
  } catch (err) {
    ctx.log.warn("api key changes of a disabled or enabled user not published", { userId, error: err });
  }
}
