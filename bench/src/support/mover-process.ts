/** The migration suite's mover process (see mover.ts). */
import { z } from "zod";
import { benchEnv } from "../env.ts";
import { serveRequests } from "./ipc-child.ts";
import { moverRuns, type MoverRequest } from "./mover.ts";

const cluster = z.object({ controlUrl: z.string(), redisUrl: z.string(), prefix: z.string() }).parse(JSON.parse(benchEnv.SHARDCAST_BENCH_MOVER ?? "null"));
serveRequests<MoverRequest>(moverRuns(cluster));
