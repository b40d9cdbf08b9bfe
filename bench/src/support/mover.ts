import path from "node:path";
import { fileURLToPath } from "node:url";
import { createControlDb, HostPool, reserveSequence, type ControlDb, type LifecycleStep } from "@shardcast/db";
import { createLogger } from "@shardcast/runtime/logger";
import { createOpLocks } from "@shardcast/runtime/oplock";
import { createRedis, publishRoutingChange } from "@shardcast/runtime/redis";
import { SequenceAllocator } from "@shardcast/runtime/sequence";
import type { WorkerDeps } from "../../../apps/worker/src/deps.ts";
import { runMigration, type MigrationRunResult } from "../../../apps/worker/src/migration/machine.ts";
import { startIpcChild } from "./ipc-child.ts";

/**
 * The worker's migration mover: `runMigration` with the dependencies the
 * worker's main builds (its own host connections, op-locks on the cluster's Redis prefix that the
 * edges listen to, routing announcements, the edges' read watermark), so a suite can time one run
 * from its start to its end and see when each lifecycle step ended. The edges are real processes,
 * and `startMoverProcess` runs the mover in one too, as the worker runs in production: in the
 * bench process its control-database work shared the event loop with the producers it slowed.
 */
export interface InProcessMover {
  deps: WorkerDeps;
  /**
   * Runs the migration until it ends (waiting out pauses, and a run another worker holds), with
   * `onStep(step, ms)` told the time each lifecycle step ended (epoch ms). Resolves to every run's result.
   */
  runToEnd(id: string, onStep?: (step: string, at: number) => void): Promise<MigrationRunResult[]>;
  close(): Promise<void>;
}

export function startInProcessMover(c: { db: ControlDb; redisUrl: string; prefix: string }): InProcessMover {
  const log = createLogger({ service: "bench-mover" }, { level: "warn" });
  const redis = createRedis(c.redisUrl, { name: "bench-mover" });
  const hosts = new HostPool(c.db);
  const opLocks = createOpLocks([redis], { prefix: c.prefix, publisher: redis, log });
  const sequences = new SequenceAllocator(redis, {
    prefix: c.prefix,
    reserve: (streamId, atLeast, step) => reserveSequence(c.db, streamId, atLeast, step),
  });
  let onStep: ((step: string, at: number) => void) | undefined;
  const deps: WorkerDeps = {
    db: c.db,
    hosts,
    log,
    clock: Date.now,
    opLocks,
    announce: (streamId, patch) => publishRoutingChange(redis, c.prefix, streamId, patch),
    lifecycle: {
      hooks: {
        // `locked` once the attempt's statement ran under the op-locks (it also persists `locked`'s
        // end when the checks before it passed); the others after their step ran.
        afterPhase: (phase: LifecycleStep) => {
          if (phase === "locked") onStep?.("locked", Date.now());
        },
        afterStep: (phase: LifecycleStep) => onStep?.(phase, Date.now()),
      },
    },
    migration: { watermark: (streamId) => sequences.watermark(streamId), lockRetryMs: 100 },
  };
  return {
    deps,
    runToEnd: async (id, step) => {
      onStep = step;
      try {
        const results: MigrationRunResult[] = [];
        for (;;) {
          const r = await runMigration(deps, id);
          results.push(r);
          if (r.status !== "paused" && r.status !== "busy") return results;
          const wait = r.status === "busy" ? 20 : Math.max(10, (r.resumeAt ?? Date.now() + 100) - Date.now());
          await new Promise((resolve) => setTimeout(resolve, wait));
        }
      } finally {
        onStep = undefined;
      }
    },
    close: async () => {
      await opLocks.close();
      await hosts.closeAll();
      await redis.quit().catch(() => redis.disconnect());
    },
  };
}

export interface MoverRun {
  results: MigrationRunResult[];
  /** When each lifecycle step ended (epoch ms). */
  steps: Record<string, number>;
  /** CPU time the mover's process spent during the run (ms, user + system). */
  cpuMs: number;
}

export type MoverRequest = { kind: "run"; id: string };

/** The mover process's side (mover-process.ts): one mover on the cluster's control database, Redis and prefix. */
export function moverRuns(c: { controlUrl: string; redisUrl: string; prefix: string }): (req: MoverRequest) => Promise<MoverRun> {
  const mover = startInProcessMover({ db: createControlDb(c.controlUrl), redisUrl: c.redisUrl, prefix: c.prefix });
  return async (req) => {
    const steps: Record<string, number> = {};
    const cpu = process.cpuUsage();
    const results = await mover.runToEnd(req.id, (step, at) => {
      steps[step] = at;
    });
    const used = process.cpuUsage(cpu);
    return { results, steps, cpuMs: (used.user + used.system) / 1000 };
  };
}

export interface MoverProcess {
  run(id: string): Promise<MoverRun>;
  close(): Promise<void>;
}

const SCRIPT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "mover-process.ts");

/** Starts the mover process on the cluster (its settings reach the child through the environment). */
export async function startMoverProcess(c: { controlUrl: string; redisUrl: string; prefix: string }): Promise<MoverProcess> {
  const child = await startIpcChild<MoverRequest>(SCRIPT, "mover", { SHARDCAST_BENCH_MOVER: JSON.stringify({ controlUrl: c.controlUrl, redisUrl: c.redisUrl, prefix: c.prefix }) });
  return { run: (id) => child.ask<MoverRun>({ kind: "run", id }), close: () => child.close() };
}
