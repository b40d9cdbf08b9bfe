import { z } from "zod";
import { listUsers } from "@shardcast/db";
import { adminProcedure } from "../../trpc.ts";
import { roleSchema } from "../shared.ts";

export const userSchema = z.object({
  id: z.string(),
  email: z.string(),
  name: z.string(),
  role: roleSchema,
  createdAt: z.date(),
  lastLoginAt: z.date().nullable(),
});
export const listUsersOutput = z.object({ users: z.array(userSchema) });

export const list = adminProcedure.output(listUsersOutput).query(async ({ ctx }) => ({
  users: (await listUsers(ctx.db)).map((u) => ({
    id: u.id,
    email: u.email,
    name: u.name,
    role: u.role,
    createdAt: u.createdAt,
    lastLoginAt: u.lastLoginAt,
  })),
}));
