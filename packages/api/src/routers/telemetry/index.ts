import { createRouter } from "../../trpc.ts";
import { hotKeys } from "./hot-keys.ts";
import { topClients } from "./top-clients.ts";

export const telemetryRouter = createRouter({ hotKeys, topClients });
