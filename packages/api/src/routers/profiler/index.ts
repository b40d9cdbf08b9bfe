import { createRouter } from "../../trpc.ts";
import { health } from "./health.ts";
import { runNow } from "./run-now.ts";
import { runStatus } from "./run-status.ts";
import { settingsGet } from "./settings-get.ts";
import { settingsUpdate } from "./settings-update.ts";

export const profilerRouter = createRouter({ health, runNow, runStatus, settings: settingsGet, updateSettings: settingsUpdate });
