import { createRouter } from "../../trpc.ts";
import { lifecycleJobs } from "./lifecycle-jobs.ts";
import { list } from "./list.ts";

export const operationsRouter = createRouter({ list, lifecycleJobs });
