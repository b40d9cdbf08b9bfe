import { createRouter } from "../../trpc.ts";
import { summary } from "./summary.ts";

export const overviewRouter = createRouter({ summary });
