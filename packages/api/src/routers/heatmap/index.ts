import { createRouter } from "../../trpc.ts";
import { cells } from "./cells.ts";
import { shardlet } from "./shardlet.ts";

export const heatmapRouter = createRouter({ cells, shardlet });
