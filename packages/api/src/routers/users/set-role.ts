import { z } from "zod";
import { setUserRole } from "@shardcast/db";
import { audit } from "../../audit.ts";
import { adminProcedure } from "../../trpc.ts";
import { idString, roleSchema } from "../shared.ts";
import { userChangeOutput, userView } from "./user-view.ts";

export const setUserRoleInput = z.object({ id: idString(), role: roleSchema });

/** Ends all of the user's sessions, so nothing it had open keeps working under the old role. */
export const setRole = adminProcedure
  .input(setUserRoleInput)
  .output(userChangeOutput)
  .mutation(async ({ ctx, input }) => {
    const res = await setUserRole(ctx.db, ctx.user.id, input.id, input.role);
    if (res.changed) {
      await audit(ctx, {
        kind: "user.role",
        message: `changed the role of ${res.user.email} from ${res.previousRole} to ${res.user.role} and ended ${res.sessionsEnded} sign-in session(s)`,
        details: { userId: res.user.id, from: res.previousRole, to: res.user.role, sessionsEnded: res.sessionsEnded },
      });
    }
    return { user: userView(res.user), sessionsEnded: res.sessionsEnded };
  });
