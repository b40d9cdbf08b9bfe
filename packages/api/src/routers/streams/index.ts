import { createRouter } from "../../trpc.ts";
import { create } from "./create.ts";
import { get } from "./get.ts";
import { history } from "./history.ts";
import { list } from "./list.ts";
import { retentionSettingsGet, retentionSettingsUpdate } from "./retention-settings.ts";

export const streamsRouter = createRouter({ list, create, get, history, retentionSettings: retentionSettingsGet, updateRetentionSettings: retentionSettingsUpdate });
