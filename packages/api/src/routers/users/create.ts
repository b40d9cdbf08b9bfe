import { z } from "zod";
import { storableString } from "@shardcast/core";
import { createUser } from "@shardcast/db";
import { audit } from "../../audit.ts";
import { adminProcedure } from "../../trpc.ts";
import { emailSchema, newPasswordSchema, roleSchema } from "../shared.ts";

export const createUserInput = z.object({
  email: emailSchema,
  name: storableString.trim().min(1, "enter a name").max(100, "name is longer than 100 characters"),
  password: newPasswordSchema,
  role: roleSchema,
});
export const createUserOutput = z.object({ id: z.string(), email: z.string(), role: roleSchema });

export const create = adminProcedure
  .input(createUserInput)
  .output(createUserOutput)
  .mutation(async ({ ctx, input }) => {
    const user = await createUser(ctx.db, input, { actorId: ctx.user.id });
    await audit(ctx, { kind: "user.create", message: `added user ${user.email} as ${user.role}`, details: { userId: user.id } });
    return { id: user.id, email: user.email, role: user.role };
  });
