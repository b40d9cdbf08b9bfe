import { createRouter } from "../../trpc.ts";
import { list } from "./list.ts";

export const operationsRouter = createRouter({ list });
