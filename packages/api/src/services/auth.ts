import { isShardcastError, ShardcastError } from "@shardcast/core";
import { createSessionIfCredentials, normalizeEmail, verifyCredentials, type User } from "@shardcast/db";
import { auditAs } from "../audit.ts";
import type { ApiContext } from "../context.ts";
import { emailSchema } from "../routers/shared.ts";
import { sessionCookie } from "../session-cookie.ts";

/** One message for an unknown email and a wrong password, so sign-in does not reveal accounts. */
export const BAD_CREDENTIALS = "Email or password is incorrect.";

type SignInContext = Pick<ApiContext, "db" | "log" | "client" | "signInLimiter" | "resHeaders" | "secureCookies">;

/**
 * How a sign-in's email may be written down. Only an address is: the operations log is open to
 * every viewer, and the box may hold a password typed in the wrong field, or text meant for them.
 */
function emailForLog(email: string): { email: string } | { emailMalformed: true; emailLength: number } {
  return emailSchema.safeParse(email).success ? { email } : { emailMalformed: true, emailLength: email.length };
}

/** Checks the password, starts a session (its cookie set on the response) and records the outcome. */
export async function signInWithPassword(ctx: SignInContext, input: { email: string; password: string }): Promise<User> {
  const email = normalizeEmail(input.email);
  const address = ctx.client.ip;
  // No address only when a request skipped the console's server (no peer stamp): those share a pair.
  const source = address ?? "unknown";
  const logged = emailForLog(email);
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
      ctx.log.warn("sign-in refused", { ...logged, source, reason: err.code });
    }
    throw err;
  }
  if (!signedIn) {
    ctx.log.warn("sign-in failed", { ...logged, source });
    const as = "email" in logged ? logged.email : "a malformed email";
    await auditAs(ctx, null, { kind: "user.sign_in", status: "failed", message: `failed sign-in as ${as}`, details: { ...logged, address } });
    throw new ShardcastError("unauthenticated", BAD_CREDENTIALS);
  }
  const { user, session } = signedIn;
  ctx.resHeaders.append("set-cookie", sessionCookie(session.token, session.expiresAt, ctx.secureCookies));
  await auditAs(ctx, user.email, { kind: "user.sign_in", message: `${user.email} signed in`, details: { userId: user.id, address } });
  return user;
}
