import { z } from "zod";
import { setUserDisabled } from "@shardcast/db";
import { audit } from "../../audit.ts";
import { adminProcedure } from "../../trpc.ts";
import { idString } from "../shared.ts";
import { userChangeOutput, userView } from "./user-view.ts";

export const disableUserInput = z.object({ id: idString() });

/** Ends all of the user's sessions at once and keeps it from signing in until enabled again. */
export const disable = adminProcedure
  .input(disableUserInput)
  .output(userChangeOutput)
  .mutation(async ({ ctx, input }) => {
    const res = await setUserDisabled(ctx.db, input.id, true);
    // Disabling twice answers the same and records nothing new: the audit log lists changes.
    if (res.changed) {
      await audit(ctx, {
        kind: "user.disable",
        message: `disabled user ${res.user.email} and ended ${res.sessionsEnded} sign-in session(s)`,
        details: { userId: res.user.id, sessionsEnded: res.sessionsEnded },
      });
    }
    return { user: userView(res.user), sessionsEnded: res.sessionsEnded };
  });
