import { createRouter } from "../../trpc.ts";
import { cells } from "./cells.ts";
import { forecast } from "./forecast.ts";
import { shardlet } from "./shardlet.ts";

export const heatmapRouter = createRouter({ cells, shardlet, forecast });
