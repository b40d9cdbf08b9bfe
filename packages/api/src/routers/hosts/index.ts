import { createRouter } from "../../trpc.ts";
import { list } from "./list.ts";
import { register } from "./register.ts";

export const hostsRouter = createRouter({ list, register });
