import { createRouter } from "../../trpc.ts";
import { overview } from "./overview.ts";
import { settingsGet } from "./settings-get.ts";
import { settingsUpdate } from "./settings-update.ts";

export const preallocRouter = createRouter({ overview, settings: settingsGet, updateSettings: settingsUpdate });
