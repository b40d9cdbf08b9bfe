import { createRouter } from "../../trpc.ts";
import { approve } from "./approve.ts";
import { cancel } from "./cancel.ts";
import { drainHost } from "./drain-host.ts";
import { get } from "./get.ts";
import { list } from "./list.ts";
import { moveShardlet } from "./move-shardlet.ts";
import { planNow } from "./plan-now.ts";
import { planStatus } from "./plan-status.ts";
import { planner } from "./planner.ts";
import { reject } from "./reject.ts";
import { schedule } from "./schedule.ts";
import { settings } from "./settings-get.ts";
import { updateSettings } from "./settings-update.ts";

export const migrationsRouter = createRouter({
  list,
  get,
  approve,
  schedule,
  reject,
  cancel,
  moveShardlet,
  drainHost,
  planNow,
  planStatus,
  planner,
  settings,
  updateSettings,
});
