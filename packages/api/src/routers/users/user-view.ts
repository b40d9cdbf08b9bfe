import { z } from "zod";
import type { User } from "@shardcast/db";
import { roleSchema } from "../shared.ts";

export const userSchema = z.object({
  id: z.string(),
  email: z.string(),
  name: z.string(),
  role: roleSchema,
  createdAt: z.date(),
  lastLoginAt: z.date().nullable(),
  disabledAt: z.date().nullable(),
});
export type UserView = z.infer<typeof userSchema>;

/** The answer of an admin change to a user: the user as it is now and how many sessions ended. */
export const userChangeOutput = z.object({ user: userSchema, sessionsEnded: z.number() });

export function userView(u: User): UserView {
  return {
    id: u.id,
    email: u.email,
    name: u.name,
    role: u.role,
    createdAt: u.createdAt,
    lastLoginAt: u.lastLoginAt,
    disabledAt: u.disabledAt,
  };
}
