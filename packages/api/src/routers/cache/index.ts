import { createRouter } from "../../trpc.ts";
import { overview } from "./overview.ts";
import { prefetch } from "./prefetch.ts";
import { settingsGet } from "./settings-get.ts";
import { settingsUpdate } from "./settings-update.ts";

export const cacheRouter = createRouter({ overview, prefetch, settings: settingsGet, updateSettings: settingsUpdate });
