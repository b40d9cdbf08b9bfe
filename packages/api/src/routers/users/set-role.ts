import { z } from "zod";
import { setUserRole } from "@shardcast/db";
import { audit } from "../../audit.ts";
import { adminProcedure } from "../../trpc.ts";
import { idString, roleSchema } from "../shared.ts";
import { announceKeysOf } from "../../services/api-key-announce.ts";
import { userChangeOutput, userView } from "./user-view.ts";

export const setUserRoleInput = z.object({ id: idString(), role: roleSchema });
export const setUserRoleOutput = userChangeOutput.extend({
  /** Unrevoked API keys the user created that the edges now refuse (it is no longer an admin). */
  keysStopped: z.number().int(),
  /** Unrevoked API keys the user created that work again (it is an admin again). */
  keysRestored: z.number().int(),
});

function keysNote(stopped: number, restored: number): string {
  if (stopped > 0) return `; ${stopped} API key(s) they created stop working`;
  if (restored > 0) return `; ${restored} API key(s) they created work again`;
  return "";
}

/** Ends all of the user's sessions, so nothing it had open keeps working under the old role. */
export const setRole = adminProcedure
  .input(setUserRoleInput)
  .output(setUserRoleOutput)
  .mutation(async ({ ctx, input }) => {
    const res = await setUserRole(ctx.db, ctx.user.id, input.id, input.role);
    if (res.changed) {
      // A key grants no more than its creator holds: leaving or regaining admin changes the answer edges cached.
      await announceKeysOf(ctx, res.user.id);
      await audit(ctx, {
        kind: "user.role",
        message: `changed the role of ${res.user.email} from ${res.previousRole} to ${res.user.role} and ended ${res.sessionsEnded} sign-in session(s)${keysNote(res.keysStopped, res.keysRestored)}`,
        details: {
          userId: res.user.id,
          from: res.previousRole,
          to: res.user.role,
          sessionsEnded: res.sessionsEnded,
          keysStopped: res.keysStopped,
          keysRestored: res.keysRestored,
        },
      });
    }
    return { user: userView(res.user), sessionsEnded: res.sessionsEnded, keysStopped: res.keysStopped, keysRestored: res.keysRestored };
  });
