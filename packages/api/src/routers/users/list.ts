import { z } from "zod";
import { listUsers } from "@shardcast/db";
import { adminProcedure } from "../../trpc.ts";
import { userSchema, userView } from "./user-view.ts";

export const listUsersOutput = z.object({ users: z.array(userSchema) });

export const list = adminProcedure.output(listUsersOutput).query(async ({ ctx }) => ({
  users: (await listUsers(ctx.db)).map(userView),
}));
