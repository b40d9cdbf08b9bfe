import { z } from "zod";
import { deleteSession } from "@shardcast/db";
import { auditAs } from "../../audit.ts";
import { publicProcedure } from "../../trpc.ts";
import { clearSessionCookie, readSessionToken } from "../../session-cookie.ts";

export const signOutOutput = z.object({ ok: z.literal(true) });

export const signOut = publicProcedure.output(signOutOutput).mutation(async ({ ctx }) => {
  const token = readSessionToken(ctx.reqHeaders);
  if (token) await deleteSession(ctx.db, token);
  ctx.resHeaders.append("set-cookie", clearSessionCookie(ctx.secureCookies));
  // Only a sign-in session that was live is worth a line; clearing a stale cookie is no event.
  if (ctx.user) {
    await auditAs(ctx, ctx.user.email, { kind: "user.sign_out", message: `${ctx.user.email} signed out`, details: { userId: ctx.user.id, address: ctx.client.ip } });
  }
  return { ok: true as const };
});
