import { TRPCError } from "@trpc/server";
import { z } from "zod";
import { createSession, normalizeEmail, verifyPassword } from "@shardcast/db";
import { publicProcedure } from "../../trpc.ts";
import { sessionCookie } from "../../session-cookie.ts";
import { sessionUserSchema } from "../shared.ts";

export const signInInput = z.object({
  email: z.string().trim().min(1, "enter your email").max(320, "email is longer than 320 characters"),
  password: z.string().min(1, "enter your password").max(1024, "password is too long"),
});
export const signInOutput = z.object({ user: sessionUserSchema });

/** One message for an unknown email and a wrong password, so sign-in does not reveal accounts. */
export const BAD_CREDENTIALS = "Email or password is incorrect.";

export const signIn = publicProcedure
  .input(signInInput)
  .output(signInOutput)
  .mutation(async ({ ctx, input }) => {
    const limiterKey = normalizeEmail(input.email);
    const waitMs = ctx.signInLimiter.retryAfterMs(limiterKey);
    if (waitMs > 0) {
      throw new TRPCError({
        code: "TOO_MANY_REQUESTS",
        message: `Too many failed sign-ins for this email. Try again in ${Math.ceil(waitMs / 60_000)} min.`,
      });
    }
    const user = await verifyPassword(ctx.db, input.email, input.password);
    if (!user) {
      ctx.signInLimiter.recordFailure(limiterKey);
      ctx.log.warn("sign-in failed", { email: limiterKey });
      throw new TRPCError({ code: "UNAUTHORIZED", message: BAD_CREDENTIALS });
    }
    ctx.signInLimiter.reset(limiterKey);
    const session = await createSession(ctx.db, user.id);
    ctx.resHeaders.append("set-cookie", sessionCookie(session.token, session.expiresAt, ctx.secureCookies));
    return { user: { id: user.id, email: user.email, name: user.name, role: user.role } };
  });
