import { createRouter } from "../../trpc.ts";
import { byHost } from "./by-host.ts";
import { merge } from "./merge.ts";
import { split } from "./split.ts";

export const shardmapRouter = createRouter({ byHost, split, merge });
