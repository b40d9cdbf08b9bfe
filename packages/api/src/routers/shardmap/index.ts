import { createRouter } from "../../trpc.ts";
import { byHost } from "./by-host.ts";

export const shardmapRouter = createRouter({ byHost });
