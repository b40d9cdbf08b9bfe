import { z } from "zod";
import { ShardcastError } from "@shardcast/core";
import { changeOwnPassword, normalizeEmail } from "@shardcast/db";
import { audit } from "../../audit.ts";
import { readSessionToken } from "../../session-cookie.ts";
import { viewerPasswordProcedure } from "../../trpc.ts";
import { newPasswordSchema } from "../shared.ts";

export const changePasswordInput = z
  .object({
    currentPassword: z.string().min(1, "enter your current password").max(1024, "password is too long"),
    newPassword: newPasswordSchema,
  })
  .refine((v) => v.newPassword !== v.currentPassword, { path: ["newPassword"], message: "choose a password other than the current one" });
export const changePasswordOutput = z.object({ sessionsEnded: z.number() });

export const WRONG_CURRENT_PASSWORD = "Current password is incorrect.";

/** The signed-in user's own password; the user's other sessions end, this one stays. */
export const changePassword = viewerPasswordProcedure
  .input(changePasswordInput)
  .output(changePasswordOutput)
  .mutation(async ({ ctx, input }) => {
    const passwords = { current: input.currentPassword, next: input.newPassword };
    // A wrong current password counts as a failed sign-in: an unattended session must not become a
    // way to guess the password faster than the sign-in page allows.
    const changed = await ctx.signInLimiter.attempt(normalizeEmail(ctx.user.email), ctx.client.ip ?? "unknown", () =>
      changeOwnPassword(ctx.db, ctx.user.id, passwords, readSessionToken(ctx.reqHeaders)),
    );
    if (!changed) {
      throw new ShardcastError("validation_failed", WRONG_CURRENT_PASSWORD, {
        rejected: [{ index: 0, path: "currentPassword", message: WRONG_CURRENT_PASSWORD }],
      });
    }
    await audit(ctx, {
      kind: "user.password",
      message: `${ctx.user.email} changed their password and ended ${changed.sessionsEnded} other sign-in session(s)`,
      details: { userId: ctx.user.id, sessionsEnded: changed.sessionsEnded },
    });
    return changed;
  });
