import { z } from "zod";
import { setUserDisabled } from "@shardcast/db";
import { audit } from "../../audit.ts";
import { adminProcedure } from "../../trpc.ts";
import { idString } from "../shared.ts";
import { userChangeOutput, userView } from "./user-view.ts";

export const enableUserInput = z.object({ id: idString() });

/** Lets a disabled user sign in again (with the password it had). */
export const enable = adminProcedure
  .input(enableUserInput)
  .output(userChangeOutput)
  .mutation(async ({ ctx, input }) => {
    const res = await setUserDisabled(ctx.db, input.id, false);
    if (res.changed) {
      await audit(ctx, { kind: "user.enable", message: `enabled user ${res.user.email}`, details: { userId: res.user.id } });
    }
    return { user: userView(res.user), sessionsEnded: res.sessionsEnded };
  });
