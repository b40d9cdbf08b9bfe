import { z } from "zod";
import { storableString } from "@shardcast/core";
import { passwordProcedure } from "../../trpc.ts";
import { signInWithPassword } from "../../services/auth.ts";
import { sessionUserSchema } from "../shared.ts";

export const signInInput = z.object({
  email: storableString.trim().min(1, "enter your email").max(320, "email is longer than 320 characters"),
  password: z.string().min(1, "enter your password").max(1024, "password is too long"),
});
export const signInOutput = z.object({ user: sessionUserSchema });

export const signIn = passwordProcedure
  .input(signInInput)
  .output(signInOutput)
  .mutation(async ({ ctx, input }) => {
    const user = await signInWithPassword(ctx, input);
    return { user: { id: user.id, email: user.email, name: user.name, role: user.role } };
  });
