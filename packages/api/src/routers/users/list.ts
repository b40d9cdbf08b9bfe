import { z } from "zod";
import { activeApiKeyCountsByCreator, listUsers } from "@shardcast/db";
import { adminProcedure } from "../../trpc.ts";
import { userSchema, userView } from "./user-view.ts";

export const listUsersOutput = z.object({
  users: z.array(
    userSchema.extend({
      /** Unrevoked API keys the user created: what demoting an admin would stop (the console warns). */
      activeApiKeys: z.number().int(),
    }),
  ),
});

export const list = adminProcedure.output(listUsersOutput).query(async ({ ctx }) => {
  const [users, keyCounts] = await Promise.all([listUsers(ctx.db), activeApiKeyCountsByCreator(ctx.db)]);
  return { users: users.map((u) => ({ ...userView(u), activeApiKeys: keyCounts.get(u.id) ?? 0 })) };
});
