import { createRouter } from "../../trpc.ts";
import { deleteGroup } from "./delete-group.ts";
import { group } from "./group.ts";
import { groups } from "./groups.ts";
import { settingsGet } from "./settings-get.ts";
import { settingsUpdate } from "./settings-update.ts";

export const consumersRouter = createRouter({ groups, group, deleteGroup, settings: settingsGet, updateSettings: settingsUpdate });
