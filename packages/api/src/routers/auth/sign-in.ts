import { TRPCError } from "@trpc/server";
import { z } from "zod";
import { isShardcastError, storableString } from "@shardcast/core";
import { createSessionIfCredentials, normalizeEmail, verifyCredentials, type User } from "@shardcast/db";
import { auditAs } from "../../audit.ts";
import { passwordProcedure } from "../../trpc.ts";
import { sessionCookie } from "../../session-cookie.ts";
import { sessionUserSchema } from "../shared.ts";

export const signInInput = z.object({
  email: storableString.trim().min(1, "enter your email").max(320, "email is longer than 320 characters"),
  password: z.string().min(1, "enter your password").max(1024, "password is too long"),
});
export const signInOutput = z.object({ user: sessionUserSchema });

/** One message for an unknown email and a wrong password, so sign-in does not reveal accounts. */
export const BAD_CREDENTIALS = "Email or password is incorrect.";

export const signIn = passwordProcedure
  .input(signInInput)
  .output(signInOutput)
  .mutation(async ({ ctx, input }) => {
    const email = normalizeEmail(input.email);
    const address = ctx.client.ip;
    // No address only when a request skipped the console's server (no peer stamp): those share a pair.
    const source = address ?? "unknown";
    // The session starts inside the check: a password changed (or a user disabled) between the
    // check and the session makes this a failed sign-in, not a session the change missed.
    const check = async (): Promise<{ user: User; session: { token: string; expiresAt: Date } } | null> => {
      const verified = await verifyCredentials(ctx.db, email, input.password);
      if (!verified) return null;
      const session = await createSessionIfCredentials(ctx.db, verified.user.id, verified.verifiedHash);
      return session && { user: verified.user, session };
    };
    let signedIn: Awaited<ReturnType<typeof check>>;
    try {
      signedIn = await ctx.signInLimiter.attempt(email, source, check);
    } catch (err) {
      // Refused before the password was checked. Only the server log hears of these: a flood of
      // them must not grow the operations log (the limiter bounds the failures that are recorded).
      if (isShardcastError(err) && (err.code === "rate_limited" || err.code === "unavailable")) {
        ctx.log.warn("sign-in refused", { email, source, reason: err.code });
      }
      throw err;
    }
    if (!signedIn) {
      ctx.log.warn("sign-in failed", { email, source });
      await auditAs(ctx, null, { kind: "user.sign_in", status: "failed", message: `failed sign-in as ${email}`, details: { email, address } });
      throw new TRPCError({ code: "UNAUTHORIZED", message: BAD_CREDENTIALS });
    }
    const { user, session } = signedIn;
    ctx.resHeaders.append("set-cookie", sessionCookie(session.token, session.expiresAt, ctx.secureCookies));
    await auditAs(ctx, user.email, { kind: "user.sign_in", message: `${user.email} signed in`, details: { userId: user.id, address } });
    return { user: { id: user.id, email: user.email, name: user.name, role: user.role } };
  });
