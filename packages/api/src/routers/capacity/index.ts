import { createRouter } from "../../trpc.ts";
import { plan } from "./plan.ts";
import { settingsGet } from "./settings-get.ts";
import { settingsUpdate } from "./settings-update.ts";

export const capacityRouter = createRouter({ plan, settings: settingsGet, updateSettings: settingsUpdate });
