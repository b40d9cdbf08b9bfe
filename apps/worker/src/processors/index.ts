import { ShardcastError } from "@shardcast/core";
import type { JobHandlers, JobQueue } from "@shardcast/jobs";
import type { WorkerDeps } from "../deps.ts";
import { runHostHealth } from "./host-health.ts";
import { runHousekeeping } from "./housekeeping.ts";
import { runOverflowDrain } from "./overflow-drain.ts";
import { runShardletAccounting } from "./shardlet-accounting.ts";
import { runShardletManager } from "./shardlet-manager.ts";
import { runShardletMerge } from "./shardlet-merge.ts";
import { runShardletSplit } from "./shardlet-split.ts";

// Replaced by each job's processor as it lands; until then the job fails with a clear message.
function notBuilt(job: string): Promise<never> {
  return Promise.reject(new ShardcastError("unavailable", `job ${job} has no processor in this build`));
}

/** The worker's handler for every job in the catalog; `queue` is where the manager enqueues. */
export function createHandlers(deps: WorkerDeps, ctx: { queue?: JobQueue } = {}): JobHandlers {
  return {
    "host.health": async (_payload, job) => {
      const r = await runHostHealth(deps, { signal: job.signal });
      // The job's return value is stored in Redis: keep it small.
      return { checked: r.checked, down: r.down };
    },
    "shardlet.accounting": async (_payload, job) => {
      const r = await runShardletAccounting(deps, { signal: job.signal });
      return { hosts: r.hosts, failedHosts: r.failedHosts.length, shardlets: r.shardlets };
    },
    "shardlet.manager": async (payload, job) => {
      const r = await runShardletManager(deps, { ...(payload.streamId ? { streamId: payload.streamId } : {}), queue: ctx.queue, signal: job.signal });
      return {
        enabled: r.enabled,
        splits: r.actions.filter((a) => a.kind === "split").length,
        merges: r.actions.filter((a) => a.kind === "merge").length,
        skipped: r.skipped.length,
        resumed: r.resumed.length,
      };
    },
    "shardlet.split": (payload, job) => runShardletSplit(deps, payload, { signal: job.signal }),
    "shardlet.merge": (payload, job) => runShardletMerge(deps, payload, { signal: job.signal }),
    "overflow.drain": async (payload, job) => {
      const r = await runOverflowDrain(deps, { ...(payload.streamId ? { streamId: payload.streamId } : {}), signal: job.signal });
      return { drained: r.drained, blocked: r.blocked, purged: r.purged };
    },
    housekeeping: () => runHousekeeping(deps),
    "migration.run": () => notBuilt("migration.run"),
    "migration.scheduler": () => notBuilt("migration.scheduler"),
    "rebalance.plan": () => notBuilt("rebalance.plan"),
    "telemetry.rollup": () => notBuilt("telemetry.rollup"),
    "host.resources": () => notBuilt("host.resources"),
    "model.train": () => notBuilt("model.train"),
    "analyzer.run": () => notBuilt("analyzer.run"),
  };
}
