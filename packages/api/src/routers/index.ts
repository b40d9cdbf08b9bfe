import { createRouter } from "../trpc.ts";
import { apikeysRouter } from "./apikeys/index.ts";
import { authRouter } from "./auth/index.ts";
import { hostsRouter } from "./hosts/index.ts";
import { operationsRouter } from "./operations/index.ts";
import { overviewRouter } from "./overview/index.ts";
import { settingsRouter } from "./settings/index.ts";
import { shardmapRouter } from "./shardmap/index.ts";
import { streamsRouter } from "./streams/index.ts";
import { usersRouter } from "./users/index.ts";

export const appRouter = createRouter({
  auth: authRouter,
  overview: overviewRouter,
  streams: streamsRouter,
  hosts: hostsRouter,
  shardmap: shardmapRouter,
  apikeys: apikeysRouter,
  operations: operationsRouter,
  users: usersRouter,
  settings: settingsRouter,
});

export type AppRouter = typeof appRouter;
