import { planOrchestration, type PlacementNote } from "@shardcast/core";
import {
  assessClusterHealth,
  getMigrationSettings,
  listAnalyzerProposals,
  listUnfinishedLifecycleJobs,
  replaceOrchestratorProposals,
  replacePlannerNotes,
  shardletsInOpenMigrations,
  type ControlDb,
  type NewAnalyzerProposal,
} from "@shardcast/db";
import type { JobQueue } from "@shardcast/jobs";
import type { Logger } from "@shardcast/runtime/logger";
import type { OpLocks } from "@shardcast/runtime/oplock";
import { asOnlyPlannerRun, plannerBusy } from "../domain/planner-lock.ts";
import { actOnOrchestratorProposals } from "./act.ts";
import { checkAborted } from "../domain/abort.ts";

export interface OrchestratorDeps {
  db: ControlDb;
  log: Logger;
  clock: () => number;
  opLocks?: OpLocks;
}

export interface OrchestratorRunOptions {
  queue?: JobQueue;
  signal?: AbortSignal;
  trigger?: "schedule" | "manual";
}

export interface OrchestratorResult {
  skipped?: string;
  streams: number;
  shardlets: number;
  unhealthy: number;
  proposals: { split: number; migrate: number };
  notes: number;
  /** Proposals acted on at once because `autoApply` is on (splits queued, moves approved). */
  applied: number;
  /** Of those, moves approved as migrations within the migration window. */
  moved: number;
  ms: number;
}

/** Copy rate assumed when the migration budget is unlimited (0): a conservative figure for one copy. */
const UNLIMITED_COPY_ROWS_PER_SEC = 50_000;

/**
 * One orchestrator run (seed 004's Orchestrator Module): scores every live shardlet's health from
 * its profile and load, and for those below each stream's `health_threshold` proposes the fix its
 * diagnosis calls for (split at the profiled median, move to a healthier neighbour's host) or
 * writes a note saying why not (a single hot key, max_shards, the migration window). Proposals go
 * to the analyzer's proposal list (source `orchestrator`), where operators apply or dismiss them,
 * or, with `autoApply`, the orchestrator applies them itself (act.ts).
 */
export async function runOrchestrator(deps: OrchestratorDeps, opts: OrchestratorRunOptions = {}): Promise<OrchestratorResult> {
  return asOnlyPlannerRun(
    deps.opLocks,
    "orchestrator",
    {
      signal: opts.signal,
      // A run an operator asked for waits for a scheduled one under way (within the job's timeout).
      waitMs: opts.trigger === "manual" ? 30_000 : 0,
      onWait: () => deps.log.info("orchestrator run waits for the run under way"),
    },
    (signal) => orchestrate(deps, { ...opts, ...(signal ? { signal } : {}) }),
    () => ({ ...nothingRan(), skipped: plannerBusy("orchestrator") }),
  );
}

function nothingRan(): OrchestratorResult {
  return { streams: 0, shardlets: 0, unhealthy: 0, proposals: { split: 0, migrate: 0 }, notes: 0, applied: 0, moved: 0, ms: 0 };
}

async function orchestrate(deps: OrchestratorDeps, opts: OrchestratorRunOptions): Promise<OrchestratorResult> {
  const started = deps.clock();
  const health = await assessClusterHealth(deps.db, { nowMs: started });
  const result = nothingRan();
  if (!health.settings.enabled && opts.trigger !== "manual") return { ...result, skipped: "the profiler is disabled" };
  checkAborted(opts.signal, "orchestrator run");
  const [migration, jobs, migrating, open] = await Promise.all([
    getMigrationSettings(deps.db),
    listUnfinishedLifecycleJobs(deps.db),
    shardletsInOpenMigrations(deps.db),
    listAnalyzerProposals(deps.db, { status: "open", source: "analyzer", limit: 500 }),
  ]);
  const busy = new Set<string>([...jobs.flatMap((j) => j.sourceIds), ...migrating.keys(), ...open.map((p) => p.shardletId ?? "")]);
  const copyRowsPerSec = migration.rowsPerSecond > 0 ? migration.rowsPerSecond : UNLIMITED_COPY_ROWS_PER_SEC;
  const hosts = health.hosts.map((h) => ({ id: h.host.id, active: h.host.status === "active", health: h.health, writeShare: h.writeShare }));
  const notes: PlacementNote[] = [];
  const proposals: NewAnalyzerProposal[] = [];
  for (const stream of health.streams) {
    result.streams++;
    result.shardlets += stream.shardlets.length;
    result.unhealthy += stream.shardlets.filter((s) => s.health.score < stream.settings.healthThreshold).length;
    const planned = planOrchestration({
      settings: stream.settings,
      minShardletWidth: health.lifecycle.minShardletWidth,
      shardlets: stream.shardlets.map((v) => ({
        id: v.shardlet.id,
        hostId: v.shardlet.hostId,
        lo: v.shardlet.lo,
        hi: v.shardlet.hi,
        sizeBytes: v.shardlet.sizeBytes,
        eventCount: v.shardlet.eventCount,
        health: v.health,
        profile: v.profile,
      })),
      hosts,
      copyRowsPerSec,
      busy,
    });
    const epochs = new Map(stream.shardlets.map((v) => [v.shardlet.id, v.shardlet.epoch]));
    for (const a of planned) {
      if (a.kind === "note") {
        notes.push({ streamId: stream.id, shardletId: a.shardletId, hostId: a.hostId, message: a.recommendation ? `${a.message}. Recommendation: ${a.recommendation}` : a.message, details: { score: a.score } });
      } else if (a.kind === "split") {
        proposals.push({
          kind: "split",
          streamId: stream.id,
          shardletId: a.shardletId,
          sourceHostId: a.hostId,
          expectedBenefit: 1 - a.score,
          reason: a.reason,
          details: { splitAt: a.splitAt, whyNot: a.whyNot, healthScore: a.score },
        });
      } else {
        proposals.push({
          kind: "migrate",
          streamId: stream.id,
          shardletId: a.shardletId,
          sourceHostId: a.sourceHostId,
          destHostId: a.destHostId,
          expectedBenefit: 1 - a.score,
          reason: a.reason,
          details: {
            bytesToMove: a.bytesToMove,
            shardletEpoch: epochs.get(a.shardletId) ?? 0,
            expectedLoad: {},
            feasibility: { window: { ok: true, detail: `about ${Math.ceil(a.estimatedSec)} s to copy, within the ${stream.settings.migrationWindowSec} s migration window` } },
            neighbourId: a.neighbourId,
            whyNot: a.whyNot,
            healthScore: a.score,
          },
        });
      }
    }
  }
  checkAborted(opts.signal, "orchestrator run");
  const stored = await replaceOrchestratorProposals(deps.db, proposals, { streamIds: health.streams.map((s) => s.id), atMs: started });
  await replacePlannerNotes(deps.db, "orchestrator", notes, new Date(started));
  result.proposals.split = proposals.filter((p) => p.kind === "split").length;
  result.proposals.migrate = proposals.filter((p) => p.kind === "migrate").length;
  result.notes = notes.length;
  if (health.settings.autoApply && opts.queue) {
    const windows = new Map(health.streams.map((st) => [st.id, st.settings.migrationWindowSec]));
    const acted = await actOnOrchestratorProposals(deps.db, deps.log, {
      queue: opts.queue,
      nowMs: deps.clock(),
      windowSecOf: (streamId) => windows.get(streamId) ?? health.settings.migrationWindowSec,
    });
    result.applied = acted.splits + acted.moves;
    result.moved = acted.moves;
  }
  result.ms = deps.clock() - started;
  const line = { ...result, kept: stored.kept, superseded: stored.superseded, heldBack: stored.heldBack };
  if (proposals.length > 0 || opts.trigger === "manual") deps.log.info("orchestrator run", line);
  else deps.log.debug("orchestrator run", line);
  return result;
}
