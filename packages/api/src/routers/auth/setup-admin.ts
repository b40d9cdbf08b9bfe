import { z } from "zod";
import { ShardcastError, storableString } from "@shardcast/core";
import { countUsers, createFirstAdmin, createSession } from "@shardcast/db";
import { auditAs } from "../../audit.ts";
import { passwordProcedure } from "../../trpc.ts";
import { sessionCookie } from "../../session-cookie.ts";
import { emailSchema, newPasswordSchema, sessionUserSchema } from "../shared.ts";

export const setupAdminInput = z.object({
  email: emailSchema,
  name: storableString.trim().min(1, "enter a name").max(100, "name is longer than 100 characters"),
  password: newPasswordSchema,
});
export const setupAdminOutput = z.object({ user: sessionUserSchema });

/** First run: creates the first admin and signs them in. Refused once any user exists. */
export const setupAdmin = passwordProcedure
  .input(setupAdminInput)
  .output(setupAdminOutput)
  .mutation(async ({ ctx, input }) => {
    const done = () => new ShardcastError("forbidden", "Setup is already done. Sign in instead.");
    // Checked before a hashing turn is taken, so calls after setup cannot crowd out sign-ins.
    if ((await countUsers(ctx.db)) > 0) throw done();
    const user = await ctx.signInLimiter.hashing(() => createFirstAdmin(ctx.db, input));
    if (!user) throw done();
    const session = await createSession(ctx.db, user.id);
    // Else the admin's own address would be a stranger to the limiter until their first sign-in.
    await ctx.signInLimiter.rememberSource(user.email, ctx.client.ip ?? "unknown");
    ctx.resHeaders.append("set-cookie", sessionCookie(session.token, session.expiresAt, ctx.secureCookies));
    ctx.log.info("first admin created", { userId: user.id });
    await auditAs(ctx, user.email, {
      kind: "user.setup_admin",
      message: `${user.email} set up the console as its first admin`,
      details: { userId: user.id, address: ctx.client.ip },
    });
    return { user: { id: user.id, email: user.email, name: user.name, role: user.role } };
  });
