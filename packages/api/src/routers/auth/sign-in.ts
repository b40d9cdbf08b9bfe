import { TRPCError } from "@trpc/server";
import { z } from "zod";
import { storableString } from "@shardcast/core";
import { createSession, normalizeEmail, verifyPassword } from "@shardcast/db";
import { publicProcedure } from "../../trpc.ts";
import { sessionCookie } from "../../session-cookie.ts";
import { sessionUserSchema } from "../shared.ts";

export const signInInput = z.object({
  email: storableString.trim().min(1, "enter your email").max(320, "email is longer than 320 characters"),
  password: z.string().min(1, "enter your password").max(1024, "password is too long"),
});
export const signInOutput = z.object({ user: sessionUserSchema });

/** One message for an unknown email and a wrong password, so sign-in does not reveal accounts. */
export const BAD_CREDENTIALS = "Email or password is incorrect.";

export const signIn = publicProcedure
  .input(signInInput)
  .output(signInOutput)
  .mutation(async ({ ctx, input }) => {
    const email = normalizeEmail(input.email);
    // No address only when a request skipped the console's server (no peer stamp): those share a pair.
    const source = ctx.client.ip ?? "unknown";
    const user = await ctx.signInLimiter.attempt(email, source, () => verifyPassword(ctx.db, email, input.password));
    if (!user) {
      ctx.log.warn("sign-in failed", { email, source });
      throw new TRPCError({ code: "UNAUTHORIZED", message: BAD_CREDENTIALS });
    }
    const session = await createSession(ctx.db, user.id);
    ctx.resHeaders.append("set-cookie", sessionCookie(session.token, session.expiresAt, ctx.secureCookies));
    return { user: { id: user.id, email: user.email, name: user.name, role: user.role } };
  });
