import { z } from "zod";
import { endUserSessions } from "@shardcast/db";
import { audit } from "../../audit.ts";
import { clearSessionCookie } from "../../session-cookie.ts";
import { viewerProcedure } from "../../trpc.ts";

export const signOutEverywhereOutput = z.object({ sessionsEnded: z.number() });

/** Ends every session of the signed-in user, this one included (a lost laptop, a shared machine). */
export const signOutEverywhere = viewerProcedure.output(signOutEverywhereOutput).mutation(async ({ ctx }) => {
  const sessionsEnded = await endUserSessions(ctx.db, ctx.user.id);
  ctx.resHeaders.append("set-cookie", clearSessionCookie(ctx.secureCookies));
  await audit(ctx, {
    kind: "user.sign_out_everywhere",
    message: `${ctx.user.email} signed out everywhere (${sessionsEnded} sign-in session(s) ended)`,
    details: { userId: ctx.user.id, sessionsEnded },
  });
  return { sessionsEnded };
});
