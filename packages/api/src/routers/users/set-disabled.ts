import { z } from "zod";
import { setUserDisabled } from "@shardcast/db";
import { audit } from "../../audit.ts";
import { adminProcedure } from "../../trpc.ts";
import { idString } from "../shared.ts";
import { announceKeysOf } from "../../services/api-key-announce.ts";
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
