import { createRouter } from "../trpc.ts";
import { accountRouter } from "./account/index.ts";
import { analyzerRouter } from "./analyzer/index.ts";
import { apikeysRouter } from "./apikeys/index.ts";
import { authRouter } from "./auth/index.ts";
import { cacheRouter } from "./cache/index.ts";
import { capacityRouter } from "./capacity/index.ts";
import { consumersRouter } from "./consumers/index.ts";
import { heatmapRouter } from "./heatmap/index.ts";
import { hostsRouter } from "./hosts/index.ts";
import { migrationsRouter } from "./migrations/index.ts";
import { modelsRouter } from "./models/index.ts";
import { operationsRouter } from "./operations/index.ts";
import { profilerRouter } from "./profiler/index.ts";
import { overviewRouter } from "./overview/index.ts";
import { preallocRouter } from "./prealloc/index.ts";
import { settingsRouter } from "./settings/index.ts";
import { shardmapRouter } from "./shardmap/index.ts";
import { streamsRouter } from "./streams/index.ts";
import { telemetryRouter } from "./telemetry/index.ts";
import { usersRouter } from "./users/index.ts";
import { whatifRouter } from "./whatif/index.ts";

export const appRouter = createRouter({
  auth: authRouter,
  account: accountRouter,
  overview: overviewRouter,
  streams: streamsRouter,
  hosts: hostsRouter,
  shardmap: shardmapRouter,
  apikeys: apikeysRouter,
  operations: operationsRouter,
  users: usersRouter,
  settings: settingsRouter,
  migrations: migrationsRouter,
  heatmap: heatmapRouter,
  analyzer: analyzerRouter,
  telemetry: telemetryRouter,
  models: modelsRouter,
  whatif: whatifRouter,
  consumers: consumersRouter,
  profiler: profilerRouter,
  cache: cacheRouter,
  capacity: capacityRouter,
  prealloc: preallocRouter,
});

export type AppRouter = typeof appRouter;
