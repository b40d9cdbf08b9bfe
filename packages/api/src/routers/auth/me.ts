import { z } from "zod";
import { publicProcedure } from "../../trpc.ts";
import { sessionUserSchema } from "../shared.ts";

export const meOutput = z.object({ user: sessionUserSchema.nullable() });

export const me = publicProcedure.output(meOutput).query(({ ctx }) => ({ user: ctx.user }));
