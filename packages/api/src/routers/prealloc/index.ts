import { createRouter } from "../../trpc.ts";
import { overview } from "./overview.ts";
import { settingsGet } from "./settings-get.ts";
import { settingsUpdate } from "./settings-update.ts";
import { train } from "./train.ts";
import { trainStatus } from "./train-status.ts";

export const preallocRouter = createRouter({ overview, settings: settingsGet, updateSettings: settingsUpdate, train, trainStatus });
