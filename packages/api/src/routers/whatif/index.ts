import { createRouter } from "../../trpc.ts";
import { defaults } from "./defaults.ts";
import { run } from "./run.ts";

export const whatifRouter = createRouter({ defaults, run });
