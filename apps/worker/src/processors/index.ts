import type { JobHandlers } from "@shardcast/jobs";
import type { WorkerDeps } from "../deps.ts";
import { runHostHealth } from "./host-health.ts";
import { runShardletAccounting } from "./shardlet-accounting.ts";

/** The worker's handler for every job in the catalog. */
export function createHandlers(deps: WorkerDeps): JobHandlers {
  return {
    "host.health": async (_payload, ctx) => {
      const r = await runHostHealth(deps, { signal: ctx.signal });
      // The job's return value is stored in Redis: keep it small.
      return { checked: r.checked, down: r.down };
    },
    "shardlet.accounting": async (_payload, ctx) => {
      const r = await runShardletAccounting(deps, { signal: ctx.signal });
      return { hosts: r.hosts, failedHosts: r.failedHosts.length, shardlets: r.shardlets };
    },
  };
}
