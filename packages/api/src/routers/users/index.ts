import { createRouter } from "../../trpc.ts";
import { create } from "./create.ts";
import { disable } from "./disable.ts";
import { enable } from "./enable.ts";
import { list } from "./list.ts";
import { setRole } from "./set-role.ts";

export const usersRouter = createRouter({ list, create, disable, enable, setRole });
