import { createRouter } from "../../trpc.ts";
import { overview } from "./overview.ts";
import { placement } from "./placement.ts";
import { placementSettingsGet } from "./placement-settings-get.ts";
import { placementSettingsUpdate } from "./placement-settings-update.ts";
import { pins } from "./pins.ts";
import { prefetch } from "./prefetch.ts";
import { replicas } from "./replicas.ts";
import { settingsGet } from "./settings-get.ts";
import { settingsUpdate } from "./settings-update.ts";

export const cacheRouter = createRouter({
  overview,
  prefetch,
  settings: settingsGet,
  updateSettings: settingsUpdate,
  placement,
  placementSettings: placementSettingsGet,
  updatePlacementSettings: placementSettingsUpdate,
  replicas,
  pins,
});
