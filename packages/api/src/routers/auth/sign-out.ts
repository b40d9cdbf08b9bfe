import { z } from "zod";
import { deleteSession } from "@shardcast/db";
import { publicProcedure } from "../../trpc.ts";
import { clearSessionCookie, readSessionToken } from "../../session-cookie.ts";

export const signOutOutput = z.object({ ok: z.literal(true) });

export const signOut = publicProcedure.output(signOutOutput).mutation(async ({ ctx }) => {
  const token = readSessionToken(ctx.reqHeaders);
  if (token) await deleteSession(ctx.db, token);
  ctx.resHeaders.append("set-cookie", clearSessionCookie(ctx.secureCookies));
  return { ok: true as const };
});
