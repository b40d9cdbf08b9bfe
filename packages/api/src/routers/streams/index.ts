import { createRouter } from "../../trpc.ts";
import { create } from "./create.ts";
import { get } from "./get.ts";
import { list } from "./list.ts";

export const streamsRouter = createRouter({ list, create, get });
