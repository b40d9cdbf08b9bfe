import { createRouter } from "../../trpc.ts";
import { create } from "./create.ts";
import { list } from "./list.ts";

export const usersRouter = createRouter({ list, create });
